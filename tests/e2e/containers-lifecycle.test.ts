/**
 * Detached containers and the verbs around them: run -d / ps / logs / stop / wait / kill / rm, inspect's
 * fields, name conflicts under 20 parallel runs, restart policy counts, pause/unpause, exec, and crash
 * consistency (kill -9 of the supervisor, a "reboot" that empties the run dir).
 */
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Harness, isRoot, until } from "./containers-harness.ts";

const h = new Harness();

async function supervisorPid(name: string): Promise<number> {
  const id = await h.ok(["inspect", "-f", "{{.Id}}", name]);
  const live = JSON.parse(await Bun.file(`${h.run}/containers/${id}/live.json`).text());
  return live.SupervisorPid;
}

describe("containers: lifecycle", () => {
  h.useInSuite();

  test("run -d prints the id; ps, logs, stop, wait and inspect agree", async () => {
    const id = await h.ok(["run", "-d", "--name", "web", "-l", "app=x", "busybox", "sh", "-c", "echo hello; trap 'exit 0' TERM; while true; do sleep 0.1; done"]);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await h.ok(["ps"]);
    expect(ps.split("\n")[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(ps).toContain(`${id.slice(0, 12)}   busybox`);
    expect(ps).toMatch(/Up (Less than a second|\d+ seconds?)\s+web/);
    expect(await until(async () => (await h.ok(["logs", "web"])) === "hello")).toBe(true);
    expect(await h.ok(["ps", "-q", "--filter", "label=app=x"])).toBe(id.slice(0, 12));
    expect(await h.ok(["ps", "-q", "--filter", "status=exited"])).toBe("");
    expect(await h.ok(["stop", "-t", "5", "web"])).toBe("web");
    expect(await h.ok(["wait", id.slice(0, 5)])).toBe("0");
    const info = JSON.parse(await h.ok(["inspect", "web"]))[0];
    expect(info.Id).toBe(id);
    expect(info.Name).toBe("/web");
    expect(info.State).toMatchObject({ Status: "exited", Running: false, Paused: false, OOMKilled: false, Pid: 0, ExitCode: 0 });
    expect(info.Config).toMatchObject({ Image: "busybox", Hostname: id.slice(0, 12), Labels: { app: "x" } });
    expect(info.HostConfig).toMatchObject({ RestartPolicy: { Name: "no", MaximumRetryCount: 0 }, Memory: 0, NetworkMode: "bridge" });
    expect(info.GraphDriver.Name).toBe("overlay2");
    expect(await h.ok(["ps", "-a", "--format", "{{.Names}} {{.Status}}"])).toMatch(/^web Exited \(0\) /);
  });

  test("stop escalates to SIGKILL after -t; kill -s sends the signal", async () => {
    await h.ok(["run", "-d", "--name", "stubborn", "busybox", "sleep", "1000"]);
    const t0 = Date.now();
    await h.ok(["stop", "-t", "1", "stubborn"]);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await h.ok(["inspect", "-f", "{{.State.ExitCode}}", "stubborn"])).toBe("137");
    await h.ok(["run", "-d", "--name", "kk", "busybox", "sh", "-c", "trap 'exit 42' USR1; while true; do sleep 0.1; done"]);
    await Bun.sleep(300);
    await h.ok(["kill", "-s", "USR1", "kk"]);
    expect(await h.ok(["wait", "kk"])).toBe("42");
    const again = await h.bunker(["kill", "kk"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("is not running");
  });

  test("rm refuses a running container without -f; rm -f removes everything", async () => {
    await h.ok(["run", "-d", "--name", "busy", "busybox", "sleep", "1000"]);
    const r = await h.bunker(["rm", "busy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stop the container before removing or force remove");
    expect(await h.ok(["rm", "-f", "busy"])).toBe("busy");
    expect(await h.ok(["ps", "-aq"])).toBe("");
    const nf = await h.bunker(["rm", "busy"]);
    expect(nf.stderr).toContain("No such container: busy");
  });

  test("20 parallel runs with one name: exactly one wins (Docker refuses 1-char names, so xx), the others get Docker's conflict", async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, () => h.bunker(["run", "-d", "--name", "xx", "busybox", "sleep", "30"])));
    const won = runs.filter((r) => r.code === 0);
    expect(runs.filter((r) => r.code !== 0 && !r.stderr.includes("Conflict.")).map((r) => r.stderr)).toEqual([]);
    expect(won.length).toBe(1);
    const id = won[0]!.stdout.trim();
    for (const r of runs.filter((x) => x.code !== 0)) {
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(`Conflict. The container name "/xx" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
  });

  test("restart policy on-failure:2 restarts twice, then stays exited", async () => {
    await h.ok(["run", "-d", "--name", "rp", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3"]);
    expect(await until(async () => (await h.ok(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "rp"])) === "exited 2")).toBe(true);
    expect(await h.ok(["inspect", "-f", "{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}", "rp"])).toBe("3 on-failure");
    expect((await h.ok(["logs", "rp"])).split("\n")).toEqual(["run", "run", "run"]);
  });

  test("restart policy always: a stop is final", async () => {
    await h.ok(["run", "-d", "--name", "al", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 1"]);
    expect(await until(async () => Number(await h.ok(["inspect", "-f", "{{.RestartCount}}", "al"])) >= 1)).toBe(true);
    await h.ok(["stop", "-t", "1", "al"]);
    await Bun.sleep(500);
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "al"])).toBe("exited");
  });

  test("pause/unpause freeze the container; exec into paused or stopped containers is refused", async () => {
    const id = await h.ok(["run", "-d", "--name", "pz", "busybox", "sleep", "1000"]);
    await h.ok(["pause", "pz"]);
    expect(await h.ok(["ps", "--format", "{{.Status}}"])).toMatch(/\(Paused\)$/);
    const ex = await h.bunker(["exec", "pz", "true"]);
    expect(ex.code).not.toBe(0);
    expect(ex.stderr).toContain("Container pz is paused, unpause the container before exec");
    await h.ok(["unpause", "pz"]);
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "pz"])).toBe("running");
    await h.ok(["stop", "-t", "0", "pz"]);
    const st = await h.bunker(["exec", "pz", "true"]);
    expect(st.stderr).toContain(`Container ${id} is not running`);
  });

  test("exec: exit code, env, user, workdir, and it joins the container's cgroup", async () => {
    await h.ok(["run", "-d", "--name", "ex", "busybox", "sleep", "1000"]);
    expect((await h.bunker(["exec", "ex", "sh", "-c", "exit 7"])).code).toBe(7);
    expect(await h.ok(["exec", "-e", "X=y", "ex", "sh", "-c", "echo $X"])).toBe("y");
    expect(await h.ok(["exec", "-u", "user", "-w", "/tmp", "ex", "sh", "-c", "id -un; pwd"])).toBe("user\n/tmp");
    // inside its cgroup namespace the container sees its own cgroup as the root: PID 1 and the exec
    expect((await h.ok(["exec", "ex", "cat", "/sys/fs/cgroup/memory/cgroup.procs"])).split("\n").length).toBeGreaterThanOrEqual(2);
    expect(await h.ok(["top", "ex"])).toContain("sleep 1000");
    const t0 = Date.now();
    await h.ok(["exec", "-d", "ex", "sleep", "7"]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await h.ok(["top", "ex"])).toContain("sleep 7");
    expect(await h.ok(["stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "ex"])).toMatch(/^ex [1-9]\d*$/);
    const rm = await h.bunker(["run", "-d", "--rm", "--name", "rmd", "busybox", "sh", "-c", "sleep 0.3; exit 4"]);
    expect(rm.code).toBe(0);
    expect(await h.ok(["wait", "rmd"])).toBe("4");
  });

  test("update changes the memory limit live", async () => {
    await h.ok(["run", "-d", "--name", "up", "-m", "64m", "busybox", "sleep", "1000"]);
    await h.ok(["update", "-m", "128m", "--memory-swap", "256m", "up"]);
    expect(await h.ok(["exec", "up", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"])).toBe("134217728");
    expect(await h.ok(["inspect", "-f", "{{.HostConfig.Memory}}", "up"])).toBe("134217728");
  });

  test("kill -9 of the supervisor: ps tells the truth and rm -f cleans up completely", async () => {
    await h.ok(["run", "-d", "--name", "orphan", "busybox", "sleep", "1000"]);
    process.kill(await supervisorPid("orphan"), "SIGKILL");
    await Bun.sleep(100);
    // PID 1 of the container still runs: it is reported as running, and can be stopped
    expect(await h.ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("orphan running");
    await h.ok(["rm", "-f", "orphan"]);
    expect(h.processes()).toEqual([]);
    expect(h.cgroupDirs()).toEqual([]);
  });

  test("kill -9 of the CLI of an attached run: the container is still seen, stopped and removed cleanly", async () => {
    const cli = Bun.spawn(h.argv(["run", "--name", "att", "busybox", "sleep", "1000"]), { stdio: ["ignore", "ignore", "ignore"], env: h.env() });
    expect(await until(async () => (await h.ok(["ps", "--format", "{{.Names}} {{.State}}"])) === "att running")).toBe(true);
    cli.kill(9);
    await cli.exited;
    expect(await h.ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("att running");
    await h.ok(["stop", "-t", "1", "att"]);
    expect(await h.ok(["ps", "-a", "--format", "{{.Names}} {{.State}}"])).toBe("att exited");
    expect(h.cgroupDirs()).toEqual([]);
  });

  test("after a reboot (empty run dir) containers read as exited and start again", async () => {
    await h.ok(["run", "-d", "--name", "rb", "--restart", "always", "busybox", "sleep", "1000"]);
    // a reboot kills every process and empties /run: do both
    process.kill(await supervisorPid("rb"), "SIGKILL");
    await h.ok(["kill", "rb"]).catch(() => {});
    rmSync(h.run, { recursive: true, force: true });
    expect(await h.ok(["ps", "-a", "--format", "{{.Names}} {{.State}}"])).toBe("rb exited");
    expect(await h.ok(["system", "boot"])).toMatch(/^[0-9a-f]{64}$/);
    expect(await h.ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("rb running");
  });

  test("start -a -i: stdin reaches a detached container through its supervisor, output comes back", async () => {
    await h.ok(["create", "-i", "--name", "ai", "busybox", "sh", "-c", "read x; echo got:$x; cat"]);
    const r = await h.bunker(["start", "-a", "-i", "ai"], "hello\nworld\n");
    expect(r.stdout).toBe("got:hello\nworld\n");
    expect(r.code).toBe(0);
  });

  test("rename, id prefixes, create + start, restart", async () => {
    const id = await h.ok(["create", "--name", "c1", "busybox", "sleep", "1000"]);
    expect(await h.ok(["ps", "-a", "--format", "{{.Status}}"])).toBe("Created");
    await h.ok(["rename", "c1", "c2"]);
    expect(await h.ok(["start", id.slice(0, 6)])).toBe(id.slice(0, 6));
    expect(await h.ok(["inspect", "-f", "{{.Name}} {{.State.Running}}", "c2"])).toBe("/c2 true");
    const pid1 = await h.ok(["inspect", "-f", "{{.State.Pid}}", "c2"]);
    await h.ok(["restart", "-t", "0", "c2"]);
    const pid2 = await h.ok(["inspect", "-f", "{{.State.Pid}}", "c2"]);
    expect(pid2).not.toBe(pid1);
    expect((await h.bunker(["inspect", "c1"])).code).toBe(1);
  });

  // each expectation below was compared with a real Docker engine (20.10 daemon, 28 client)
  test("Docker parity: ps COMMAND and --format json, inspect's HostConfig shape, kill/restart/logs wording", async () => {
    await h.ok(["create", "--name", "par", "-l", "tier=web", "-m", "64m", "--cap-add", "net_admin", "-v", "pv:/data", "busybox", "sh", "-c", "echo a b"]);
    // .Mounts by volume name, .LocalVolumes counted, the .Label method, and .Size asked for by the template alone
    expect(await h.ok(["ps", "-a", "--format", '{{.Mounts}}|{{.LocalVolumes}}|{{.Label "tier"}}|{{.Size}}'])).toMatch(/^pv\|1\|web\|0B \(virtual [\d.]+MB\)$/);
    // the daemon quotes an argument holding a space; strconv.Quote wraps the whole
    expect(await h.ok(["ps", "-a", "--format", "{{.Command}}"])).toBe(`"sh -c 'echo a b'"`);
    const row = JSON.parse(await h.ok(["ps", "-a", "--format", "json"]));
    expect(Object.keys(row)).toEqual(["Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Platform", "Ports", "RunningFor", "Size", "State", "Status"]);
    // a row's {{json .}} escapes like json.Marshal; a plain value's does not (docker's json func)
    expect(await h.ok(["ps", "-a", "--format", "{{json .Command}}"])).toBe(`"\\"sh -c 'echo a b'\\""`);
    const hc = JSON.parse(await h.ok(["inspect", "par"]))[0].HostConfig;
    for (const k of ["CgroupnsMode", "Links", "OomScoreAdj", "UsernsMode", "ConsoleSize", "BlkioWeightDevice", "Devices", "Ulimits", "MemorySwappiness", "IOMaximumIOps"]) expect(k in hc).toBe(true);
    expect(hc).toMatchObject({ OomKillDisable: false, Ulimits: [], Links: null, MemorySwap: 2 * 64 * 1024 * 1024, CapAdd: ["CAP_NET_ADMIN"] });
    expect(hc.MaskedPaths).toContain("/proc/kcore");
    expect(hc.ReadonlyPaths).toContain("/proc/sys");
    for (const k of ["Init", "Tmpfs", "Mounts"]) expect(k in hc).toBe(false); // omitempty
    // templates see Docker's typed values: a nil slice, map or pointer, even where the JSON omits it
    expect(await h.ok(["inspect", "-f", "{{.HostConfig.Links}}|{{.HostConfig.Tmpfs}}|{{.HostConfig.PidsLimit}}|{{.HostConfig.Init}}|{{.Config.Labels.none}}", "par"])).toBe("[]|map[]|<nil>|<nil>|<no value>");
    const info = JSON.parse(await h.ok(["inspect", "par"]))[0];
    expect(info.Config).toMatchObject({ AttachStdout: true, AttachStderr: true }); // create, unlike run -d
    expect(info.Mounts[0]).toMatchObject({ Name: "pv", Mode: "z" });
    // found objects first, then the errors
    const both = await h.bunker(["container", "inspect", "-f", "{{.Name}}", "nope", "par"]);
    expect(both).toMatchObject({ code: 1, stdout: "/par\n", stderr: "Error response from daemon: No such container: nope\n" });
    // rm -f of a missing container: reported, but exit 0 (docker 28)
    expect(await h.bunker(["rm", "-f", "nope"])).toMatchObject({ code: 0, stdout: "", stderr: "Error response from daemon: No such container: nope\n" });
    const kill = await h.bunker(["kill", "nope"]);
    expect(kill.stderr).toBe("Error response from daemon: cannot kill container: nope: No such container: nope\n");
    const bad = await h.bunker(["run", "-d", "--restart", "bogus", "busybox", "true"]);
    expect(bad).toMatchObject({ code: 125, stderr: "Error response from daemon: invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'\n" });
    expect((await h.bunker(["run", "-d", "--restart", "on-failure:x", "busybox", "true"])).stderr).toContain("invalid restart policy format: maximum retry count must be an integer");
    expect((await h.bunker(["run", "-d", "--restart", "no:2", "busybox", "true"])).stderr).toContain("maximum retry count can only be used with 'on-failure'");
    expect((await h.bunker(["run", "-m", "lots", "busybox", "true"])).stderr).toContain(`invalid argument "lots" for "-m, --memory" flag`);
    expect((await h.bunker(["logs", "--until", "x", "par"])).stderr).toContain('invalid value for "until"');
    await h.ok(["start", "-a", "par"]);
    expect((await h.bunker(["logs", "--details", "par"])).stdout).toBe(" a b\n");
    expect(await h.ok(["ps", "-aq"])).toBe((await h.ok(["inspect", "-f", "{{.Id}}", "par"])).slice(0, 12));
    await h.ok(["rm", "-v", "par"]);
    await h.ok(["volume", "rm", "pv"]);
  });

  test("system boot and rm -f remove orphans (cgroups, merged mounts of ids without a record); live ones stay", async () => {
    const { existsSync, mkdirSync, rmdirSync } = await import("node:fs");
    const hex = () => [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
    const cgDirs = (id: string) => ["pids", "memory"].map((c) => `/sys/fs/cgroup/${c}/${h.cgParent}/${id}`);
    const liveId = await h.ok(["run", "-d", "--name", "keep", "busybox", "sleep", "30"]);
    // a crash between cgroup creation and record write: cgroups and a merged mount, no config.json
    const orphan = hex();
    const merged = `${h.root}/containers/${orphan}/merged`;
    // another root's container (same cgroup parent, no dir of ours) with a live process: never ours to kill
    const foreign = hex();
    const sleeper = Bun.spawn(["sleep", "30"]);
    try {
      for (const d of [...cgDirs(orphan), ...cgDirs(foreign)]) mkdirSync(d, { recursive: true });
      await Bun.write(`${cgDirs(foreign)[0]}/cgroup.procs`, String(sleeper.pid));
      mkdirSync(merged, { recursive: true });
      expect(Bun.spawnSync(["mount", "-t", "tmpfs", "tmpfs", merged]).exitCode).toBe(0);

      expect((await h.bunker(["system", "boot"])).code).toBe(0);
      expect(cgDirs(orphan).filter(existsSync)).toEqual([]);
      expect(h.mounts().filter((m) => m.includes(orphan))).toEqual([]);
      expect(existsSync(`${h.root}/containers/${orphan}`)).toBe(false);
      expect(cgDirs(liveId).filter(existsSync)).toEqual(cgDirs(liveId));
      expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "keep"])).toBe("running");
      expect(cgDirs(foreign).filter(existsSync)).toEqual(cgDirs(foreign));
      expect(sleeper.exitCode).toBeNull();

      // rm -f does the same repair (here the next orphan is an empty cgroup whose dir of ours is left)
      const again = hex();
      mkdirSync(`${h.root}/containers/${again}`);
      for (const d of cgDirs(again)) mkdirSync(d, { recursive: true });
      await h.ok(["rm", "-f", "keep"]);
      expect(cgDirs(again).filter(existsSync)).toEqual([]);
      expect(cgDirs(liveId).filter(existsSync)).toEqual([]);
    } finally {
      sleeper.kill(9);
      await sleeper.exited;
      Bun.spawnSync(["umount", "-l", merged]);
      for (const d of [...cgDirs(orphan), ...cgDirs(foreign)]) try { rmdirSync(d); } catch {}
    }
  });
});
