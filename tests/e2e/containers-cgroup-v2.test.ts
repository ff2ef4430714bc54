/**
 * Whole containers on the cgroup v2 path. The engine is pointed at a cgroup2 directory with
 * BUNKER_CGROUP_ROOT: on a hybrid host its "unified" mount (no controllers but hugetlb there, yet the core
 * files work: cgroup.procs, cgroup.freeze/events, cgroup.kill, BPF device programs), on a pure v2 host
 * /sys/fs/cgroup itself. Every verb of a container's life runs through the CLI binary (BUNKER_BIN) and
 * is checked on the kernel's side too: the cgroup dir, its files, /proc/<pid>/cgroup. Each test leaves
 * no container, process, mount or cgroup behind (afterEach), and the file's own cgroup parent
 * (bunker-v2test-<random>) is removed in afterAll, even after a failure.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Harness, isRoot, until } from "./containers-harness.ts";

const pureV2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
const V2_ROOT = pureV2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
const hasV2 = existsSync(join(V2_ROOT, "cgroup.procs"));
/** what the v2 root offers: decides whether a limit is applied or discarded with Docker's warning */
const offered = hasV2 ? readFileSync(join(V2_ROOT, "cgroup.controllers"), "utf8").split(/\s+/).filter(Boolean) : [];
const HEX64 = /^[0-9a-f]{64}$/;

class V2Harness extends Harness {
  override readonly cgParent = `bunker-v2test-${Math.random().toString(36).slice(2, 10)}`;

  override env(): Record<string, string> {
    return { ...super.env(), BUNKER_CGROUP_ROOT: V2_ROOT };
  }

  /** the v2 dir of the file's parent, where the containers' cgroups are */
  get parentDir(): string {
    return join(V2_ROOT, this.cgParent);
  }

  cgDir(id: string): string {
    return join(this.parentDir, id);
  }

  /** container cgroups under our v2 parent (the base class looks per v1 controller) */
  override cgroupDirs(): string[] {
    return safeList(this.parentDir).filter((n) => HEX64.test(n)).map((n) => join(this.parentDir, n));
  }
}

const h = new V2Harness();

function safeList(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

function rmdirDeep(dir: string): void {
  for (const e of safeList(dir)) if (existsSync(join(dir, e, "cgroup.procs"))) rmdirDeep(join(dir, e));
  try {
    rmdirSync(dir);
  } catch {}
}

const procs = (dir: string) => readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
/** running, not a zombie waiting for the host's init to reap it (a dead container's processes may be one for a moment) */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}
const events = (dir: string) => readFileSync(join(dir, "cgroup.events"), "utf8");
/** the cgroup2 line of a host process: its path below the v2 root */
const v2Line = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.startsWith("0::"));

async function supervisorPid(id: string): Promise<number> {
  return JSON.parse(readFileSync(`${h.run}/containers/${id}/live.json`, "utf8")).SupervisorPid;
}

function randomId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe.skipIf(!isRoot || !hasV2)("containers on cgroup v2 (BUNKER_CGROUP_ROOT at a cgroup2 mount)", () => {
  beforeAll(() => h.setup());
  afterEach(async () => {
    await h.removeAll();
    expect(h.processes()).toEqual([]);
    expect(h.cgroupDirs()).toEqual([]);
    expect(h.mounts()).toEqual([]);
  });
  afterAll(async () => {
    try {
      await h.teardown();
    } finally {
      // the base teardown knows v1 layouts (and "unified" as one of them); a pure v2 parent is ours to
      // drop, and after a failed test a container's child cgroups too: deepest first
      const gone = await until(() => {
        rmdirDeep(h.parentDir);
        return !existsSync(h.parentDir);
      }, 5000);
      expect(gone).toBe(true);
    }
  });

  test("run --rm: Docker's exit codes; inside, /proc/self/cgroup is 0::/ and /sys/fs/cgroup is the container's own cgroup2, read-only", async () => {
    expect((await h.bunker(["run", "--rm", "busybox", "sh", "-c", "exit 3"])).code).toBe(3);
    expect((await h.bunker(["run", "--rm", "busybox", "false"])).code).toBe(1);
    const nf = await h.bunker(["run", "--rm", "busybox", "nope"]);
    expect(nf.code).toBe(127);
    expect(nf.stderr.trim().split("\n")).toHaveLength(1);

    const script = [
      "grep '^0::' /proc/self/cgroup",
      // one mount at /sys/fs/cgroup and none below it (a hybrid host's v1 hierarchies are the engine's, not shown)
      "grep -c ' /sys/fs/cgroup' /proc/self/mountinfo",
      "grep ' /sys/fs/cgroup ' /proc/self/mountinfo",
      // the container's cgroup is a leaf: no child cgroups, and it holds this shell (PID 1)
      "find /sys/fs/cgroup -mindepth 1 -type d | wc -l",
      "grep -qx 1 /sys/fs/cgroup/cgroup.procs && echo pid1-inside",
      "mkdir /sys/fs/cgroup/x 2>&1",
      "true",
    ].join("; ");
    const r = await h.bunker(["run", "--rm", "busybox", "sh", "-c", script]);
    expect(r.code).toBe(0);
    const [own, count, mount, children, pid1, mkdir] = r.stdout.trim().split("\n");
    expect({ own, count, children, pid1 }).toEqual({ own: "0::/", count: "1", children: "0", pid1: "pid1-inside" });
    // mountinfo: the mount's own options are field 6, the filesystem type follows the " - "
    expect(mount!.split(" ")[5]!.split(",")).toContain("ro");
    expect(mount!.split(" - ")[1]).toMatch(/^cgroup2 /);
    expect(mkdir).toContain("Read-only file system");
  });

  test("run -d: the v2 cgroup holds PID 1; ps, inspect, logs, top agree; exec joins it; stop removes it", async () => {
    const id = await h.ok(["run", "-d", "--name", "web", "busybox", "sh", "-c", "echo hello; trap 'exit 0' TERM; while true; do sleep 0.1; done"]);
    expect(id).toMatch(HEX64);
    const pid = Number(await h.ok(["inspect", "-f", "{{.State.Pid}}", "web"]));
    expect(procs(h.cgDir(id))).toContain(pid);
    expect(v2Line(pid)).toBe(`0::/${h.cgParent}/${id}`);
    expect(await h.ok(["ps", "--format", "{{.Names}} {{.State}} {{.Status}}"])).toMatch(/^web running Up /);
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", "web"])).toBe("running true false");
    expect(await until(async () => (await h.ok(["logs", "web"])) === "hello")).toBe(true);

    // exec: the exec'd process is in the container's v2 cgroup on the host, at its namespace root inside
    expect(await h.ok(["exec", "web", "sh", "-c", "grep '^0::' /proc/self/cgroup"])).toBe("0::/");
    expect((await h.bunker(["exec", "web", "sh", "-c", "exit 7"])).code).toBe(7);
    await h.ok(["exec", "-d", "web", "sleep", "77"]);
    let top = "";
    expect(await until(async () => (top = await h.ok(["top", "web"])).includes("sleep 77"))).toBe(true);
    expect(top.split("\n")[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    const execPid = Number(top.split("\n").find((l) => l.endsWith("sleep 77"))!.trim().split(/\s+/)[1]);
    expect(v2Line(execPid)).toBe(`0::/${h.cgParent}/${id}`);
    expect(procs(h.cgDir(id))).toContain(execPid);
    expect(top).toContain("trap 'exit 0' TERM");

    expect(await h.ok(["stop", "-t", "5", "web"])).toBe("web");
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web"])).toBe("exited 0");
    expect(existsSync(h.cgDir(id))).toBe(false);
  });

  test("stop escalates to SIGKILL after -t; kill -s delivers the signal; kill of a stopped one is refused", async () => {
    await h.ok(["run", "-d", "--name", "stubborn", "busybox", "sleep", "1000"]);
    const t0 = Date.now();
    await h.ok(["stop", "-t", "1", "stubborn"]);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await h.ok(["inspect", "-f", "{{.State.ExitCode}}", "stubborn"])).toBe("137");
    const id = await h.ok(["run", "-d", "--name", "kk", "busybox", "sh", "-c", "trap 'exit 42' USR1; while true; do sleep 0.1; done"]);
    await Bun.sleep(300);
    await h.ok(["kill", "-s", "USR1", "kk"]);
    expect(await h.ok(["wait", "kk"])).toBe("42");
    expect(existsSync(h.cgDir(id))).toBe(false);
    const again = await h.bunker(["kill", "kk"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`container ${id} is not running`);
  });

  test("pause/unpause go through cgroup.freeze (cgroup.events says frozen); ps and inspect say paused; exec is refused", async () => {
    const id = await h.ok(["run", "-d", "--name", "pz", "busybox", "sh", "-c", "while true; do sleep 0.1; done"]);
    const dir = h.cgDir(id);
    await h.ok(["pause", "pz"]);
    expect(readFileSync(join(dir, "cgroup.freeze"), "utf8").trim()).toBe("1");
    expect(events(dir)).toContain("frozen 1");
    expect(await h.ok(["ps", "--format", "{{.State}} {{.Status}}"])).toMatch(/^paused Up .*\(Paused\)$/);
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", "pz"])).toBe("paused true true");
    const ex = await h.bunker(["exec", "pz", "true"]);
    expect(ex.code).toBe(1);
    expect(ex.stderr).toContain("Container pz is paused, unpause the container before exec");
    expect((await h.bunker(["pause", "pz"])).stderr).toContain(`container ${id} is already paused`);
    // a frozen container still shows its processes and its stats
    expect(await h.ok(["top", "pz"])).toContain("while true");
    expect(await h.ok(["stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "pz"])).toMatch(/^pz [1-9]\d*$/);
    await h.ok(["unpause", "pz"]);
    expect(events(dir)).toContain("frozen 0");
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "pz"])).toBe("running false");
    expect(await h.ok(["exec", "pz", "echo", "thawed"])).toBe("thawed");
    // stop of a paused container ends it, as on v1 (SIGKILL after -t: on v2 a fatal signal ends a frozen task too)
    await h.ok(["pause", "pz"]);
    await h.ok(["stop", "-t", "1", "pz"]);
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "pz"])).toBe("exited 137");
    expect(existsSync(dir)).toBe(false);
  });

  test("stats --no-stream: CPU from cpu.stat (a core file), memory and pids as far as the controllers exist, no crash without them", async () => {
    const id = await h.ok(["run", "-d", "--name", "busy", "busybox", "sh", "-c", "while :; do :; done"]);
    await h.ok(["run", "-d", "--name", "idle", "busybox", "sleep", "1000"]);
    const out = await h.ok(["stats", "--no-stream", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}"]);
    const rows = Object.fromEntries(out.split("\n").map((l) => [l.split("|")[0], l.split("|").slice(1)]));
    expect(Object.keys(rows).sort()).toEqual(["busy", "idle"]);
    const [cpu, mem, memPerc, pids] = rows.busy!;
    expect(Number.parseFloat(cpu!)).toBeGreaterThan(10);
    expect(pids).toBe("1");
    if (offered.includes("memory")) {
      expect(mem).toMatch(/^[\d.]+[KMG]?i?B \/ [\d.]+[KMG]iB$/);
      expect(mem).not.toMatch(/^0B/);
    } else {
      // Docker's figures for a missing memory controller: nothing used, no limit
      expect({ mem, memPerc }).toEqual({ mem: "0B / 0B", memPerc: "0.00%" });
      expect(existsSync(join(h.cgDir(id), "memory.current"))).toBe(false);
    }
    // the default table too
    const table = await h.ok(["stats", "--no-stream"]);
    expect(table.split("\n")[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(table.split("\n")).toHaveLength(3);
  });

  test("limits whose controller is absent: Docker's warnings on run (stderr) and update (stdout), Docker's error for --cpus", async () => {
    const memWarning = "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.";
    const pidsWarning = "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.";
    const run = await h.bunker(["run", "-d", "--name", "lim", "-m", "64m", "busybox", "sleep", "1000"]);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    if (offered.includes("memory")) {
      // (a host without swap accounting adds Docker's swap warning here)
      expect(run.stderr).not.toContain(memWarning);
      expect(readFileSync(join(h.cgDir(id), "memory.max"), "utf8").trim()).toBe(String(64 << 20));
    } else {
      expect(run.stderr).toBe(`WARNING: ${memWarning}\n`);
    }
    // Docker's daemon stores what it applies: a discarded limit reads 0 (swap -1, unlimited)
    // (where memory is applied, MemorySwap depends on the host's swap accounting: not checked)
    const limits = async () => {
      const [mem, swap, pids] = (await h.ok(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}", "lim"])).split(" ");
      return `${offered.includes("memory") ? mem : `${mem} ${swap}`} ${pids}`;
    };
    expect(await limits()).toBe(offered.includes("memory") ? `${64 << 20} <nil>` : "0 -1 <nil>");

    const upd = await h.bunker(["update", "-m", "128m", "--pids-limit", "10", "lim"]);
    const expected = ["lim"];
    if (!offered.includes("memory")) expected.push(memWarning);
    if (!offered.includes("pids")) expected.push(pidsWarning);
    expect(upd).toMatchObject({ code: 0, stdout: `${expected.join("\n")}\n`, stderr: "" });
    if (offered.includes("memory")) expect(readFileSync(join(h.cgDir(id), "memory.max"), "utf8").trim()).toBe(String(128 << 20));
    if (offered.includes("pids")) expect(readFileSync(join(h.cgDir(id), "pids.max"), "utf8").trim()).toBe("10");
    // update: a discarded field leaves the record as it was (MemorySwap goes to -1), as Docker's does
    const memAfter = offered.includes("memory") ? `${128 << 20}` : "0 -1";
    expect(await limits()).toBe(`${memAfter} ${offered.includes("pids") ? "10" : "<nil>"}`);

    const cpus = await h.bunker(["update", "--cpus", "0.5", "lim"]);
    if (offered.includes("cpu")) {
      expect(cpus.code).toBe(0);
      expect(readFileSync(join(h.cgDir(id), "cpu.max"), "utf8").trim()).toBe("50000 100000");
    } else {
      expect(cpus).toMatchObject({
        code: 1,
        stdout: "",
        stderr: "Error response from daemon: NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted\n",
      });
    }
    // whatever was or was not applied, the container runs on
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "lim"])).toBe("running");
  });

  test("rm -f of a running container (and of a paused one): processes and the v2 cgroup dir are gone", async () => {
    const id = await h.ok(["run", "-d", "--name", "busy", "busybox", "sleep", "1000"]);
    const pid = Number(await h.ok(["inspect", "-f", "{{.State.Pid}}", "busy"]));
    expect(existsSync(h.cgDir(id))).toBe(true);
    const r = await h.bunker(["rm", "busy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stop the container before removing or force remove");
    expect(await h.ok(["rm", "-f", "busy"])).toBe("busy");
    expect(existsSync(h.cgDir(id))).toBe(false);
    expect(alive(pid)).toBe(false);

    const frozen = await h.ok(["run", "-d", "--name", "frozen", "busybox", "sleep", "1000"]);
    await h.ok(["pause", "frozen"]);
    expect(await h.ok(["rm", "-f", "frozen"])).toBe("frozen");
    expect(existsSync(h.cgDir(frozen))).toBe(false);
    expect(await h.ok(["ps", "-aq"])).toBe("");
  });

  test("a privileged container that mounts cgroup2 and moves itself into a child cgroup: top still sees it, rm -f removes the whole subtree", async () => {
    const script = "mkdir -p /mnt/cg && mount -t cgroup2 none /mnt/cg && mkdir /mnt/cg/sub && echo $$ > /mnt/cg/sub/cgroup.procs && echo moved && exec sleep 1000";
    const id = await h.ok(["run", "-d", "--privileged", "--name", "nest", "busybox", "sh", "-c", script]);
    expect(await until(async () => (await h.ok(["logs", "nest"])) === "moved")).toBe(true);
    const pid = Number(await h.ok(["inspect", "-f", "{{.State.Pid}}", "nest"]));
    expect(procs(h.cgDir(id))).toEqual([]);
    expect(procs(join(h.cgDir(id), "sub"))).toEqual([pid]);
    expect(await h.ok(["top", "nest"])).toContain("sleep 1000");
    expect(await h.ok(["rm", "-f", "nest"])).toBe("nest");
    expect(existsSync(h.cgDir(id))).toBe(false);
    expect(alive(pid)).toBe(false);
  });

  test("kill -9 of the supervisor: ps still tells the truth, rm -f kills what is left in the v2 cgroup and removes it", async () => {
    const id = await h.ok(["run", "-d", "--name", "orphan", "busybox", "sh", "-c", "sleep 1000 & sleep 1000"]);
    const sup = await supervisorPid(id);
    process.kill(sup, "SIGKILL");
    await until(() => !existsSync(`/proc/${sup}`), 2000);
    expect(await h.ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("orphan running");
    const left = procs(h.cgDir(id));
    expect(left.length).toBeGreaterThanOrEqual(2);
    await h.ok(["rm", "-f", "orphan"]);
    expect(existsSync(h.cgDir(id))).toBe(false);
    expect(left.filter(alive)).toEqual([]);
  });

  test("system boot: an orphan v2 cgroup of ours (no record) is emptied and removed; the live container and another root's busy cgroup stay", async () => {
    const liveId = await h.ok(["run", "-d", "--name", "keep", "busybox", "sleep", "1000"]);
    // a crash between cgroup creation and the record: a container dir of ours, a cgroup with a live task
    const orphan = randomId();
    // another root's container under the same parent: a live task and no dir of ours
    const foreign = randomId();
    const sleepers = [Bun.spawn(["sleep", "1000"]), Bun.spawn(["sleep", "1000"])];
    try {
      mkdirSync(`${h.root}/containers/${orphan}`);
      for (const [id, p] of [[orphan, sleepers[0]!], [foreign, sleepers[1]!]] as const) {
        mkdirSync(h.cgDir(id));
        await Bun.write(join(h.cgDir(id), "cgroup.procs"), String(p.pid));
      }
      expect((await h.bunker(["system", "boot"])).code).toBe(0);
      expect(existsSync(h.cgDir(orphan))).toBe(false);
      expect(await Promise.race([sleepers[0]!.exited, Bun.sleep(2000).then(() => "alive")])).not.toBe("alive");
      expect(existsSync(`${h.root}/containers/${orphan}`)).toBe(false);
      expect(existsSync(h.cgDir(foreign))).toBe(true);
      expect(sleepers[1]!.exitCode).toBeNull();
      expect(existsSync(h.cgDir(liveId))).toBe(true);
      expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "keep"])).toBe("running");
    } finally {
      for (const p of sleepers) p.kill(9);
      await Promise.all(sleepers.map((p) => p.exited));
      for (const id of [orphan, foreign]) await until(() => {
        try {
          rmdirSync(h.cgDir(id));
        } catch {}
        return !existsSync(h.cgDir(id));
      }, 2000);
      rmSync(`${h.root}/containers/${orphan}`, { recursive: true, force: true });
    }
  });

  test("after a reboot (supervisor and container killed, run dir emptied) system boot starts a restart=always container in a new v2 cgroup", async () => {
    const id = await h.ok(["run", "-d", "--name", "rb", "--restart", "always", "busybox", "sleep", "1000"]);
    const pid1 = Number(await h.ok(["inspect", "-f", "{{.State.Pid}}", "rb"]));
    process.kill(await supervisorPid(id), "SIGKILL");
    process.kill(pid1, "SIGKILL");
    await until(() => !existsSync(`/proc/${pid1}`), 2000);
    rmSync(h.run, { recursive: true, force: true });
    expect(await h.ok(["ps", "-a", "--format", "{{.Names}} {{.State}}"])).toBe("rb exited");
    expect(await h.ok(["system", "boot"])).toBe(id);
    const pid2 = Number(await h.ok(["inspect", "-f", "{{.State.Pid}}", "rb"]));
    expect(pid2).not.toBe(pid1);
    // the same path again (a real reboot starts from an empty cgroupfs; here the old dir was reused), PID 1 alone in it
    expect(procs(h.cgDir(id))).toEqual([pid2]);
    expect(v2Line(pid2)).toBe(`0::/${h.cgParent}/${id}`);
  });

  test("devices: the default filter refuses kmsg (c 1:11) even to a container that can mknod it; --privileged opens it", async () => {
    const script = "mknod /tmp/kmsg c 1 11 && echo mknod-ok; (true </tmp/kmsg) && echo open-ok; echo x >/dev/null && echo null-ok; true";
    const dflt = await h.bunker(["run", "--rm", "busybox", "sh", "-c", script]);
    expect({ code: dflt.code, out: dflt.stdout.trim().split("\n") }).toEqual({ code: 0, out: ["mknod-ok", "null-ok"] });
    expect(dflt.stderr).toContain("Operation not permitted");
    const priv = await h.bunker(["run", "--rm", "--privileged", "busybox", "sh", "-c", script]);
    expect({ code: priv.code, out: priv.stdout.trim().split("\n"), err: priv.stderr }).toEqual({ code: 0, out: ["mknod-ok", "open-ok", "null-ok"], err: "" });
  });

  test("restart policy on-failure:2: each run gets a fresh v2 cgroup, then the container stays exited and its cgroup is gone", async () => {
    const id = await h.ok(["run", "-d", "--name", "rp", "--restart", "on-failure:2", "busybox", "sh", "-c", "grep '^0::' /proc/self/cgroup; sleep 0.2; exit 3"]);
    expect(await until(async () => (await h.ok(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "rp"])) === "exited 2")).toBe(true);
    expect(await h.ok(["inspect", "-f", "{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}", "rp"])).toBe("3 on-failure");
    expect((await h.ok(["logs", "rp"])).split("\n")).toEqual(["0::/", "0::/", "0::/"]);
    expect(await until(() => !existsSync(h.cgDir(id)), 3000)).toBe(true);
  });

  test("a BUNKER_CGROUP_ROOT that is no cgroup mount fails the start with one line, instead of running the container in no cgroup", async () => {
    const bogus = join(h.base, "not-cgroupfs");
    mkdirSync(bogus, { recursive: true });
    const proc = Bun.spawn(h.argv(["run", "--rm", "busybox", "true"]), { env: { ...h.env(), BUNKER_CGROUP_ROOT: bogus }, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, stdout }).toEqual({ code: 125, stdout: "" });
    expect(stderr).toMatch(new RegExp(`^Error response from daemon: .*cgroup: no cgroup v1 hierarchy and no cgroup2 mount at \`${bogus}\`\\n$`));
    expect(readdirSync(bogus)).toEqual([]);
    expect(await h.ok(["ps", "-aq"])).toBe("");
  });
});
