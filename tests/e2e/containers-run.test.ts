/**
 * `run` end to end on the busybox image: exit codes and Docker's messages, --rm, the merge of image
 * config and flags (env, workdir, user, entrypoint, hostname, read-only), stdin, limits seen from
 * inside, OOM. Every test leaves nothing behind (checked after each one).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { Harness, isRoot } from "./containers-harness.ts";

const h = new Harness();

/** processes in bunker's hidden init mode (the suite runs alone: none should outlive a command) */
function initProcesses(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv[1] === "__init" || argv[2] === "__init") out.push(`${pid} ${argv.join(" ")}`);
    } catch {}
  }
  return out;
}

describe("containers: run", () => {
  h.useInSuite();

  test("exit status passes through; --rm removes the container", async () => {
    const r = await h.bunker(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    expect(await h.ok(["ps", "-aq"])).toBe("");
  });

  test("127 for a missing command, 126 for a non-executable, with runc's words", async () => {
    const nf = await h.bunker(["run", "--rm", "busybox", "nope"]);
    expect(nf.code).toBe(127);
    expect(nf.stderr).toContain('exec: "nope": executable file not found in $PATH');
    const dir = await h.bunker(["run", "--rm", "busybox", "/etc"]);
    expect(dir.code).toBe(126);
    expect(await h.ok(["ps", "-aq"])).toBe("");
  });

  test("a missing image and an unknown user are engine errors (125)", async () => {
    // a registry on a closed loopback port: the pull fails without traffic leaving the machine
    const img = await h.bunker(["run", "--rm", "127.0.0.1:1/nosuchimage"]);
    expect(img.code).toBe(125);
    expect(img.stderr).toContain("Unable to find image '127.0.0.1:1/nosuchimage:latest' locally");
    const user = await h.bunker(["run", "--rm", "-u", "nope", "busybox", "true"]);
    expect(user.code).toBe(125);
    expect(user.stderr).toContain("unable to find user nope: no matching entries in passwd file");
  });

  test("the init spawned ahead of a plain run ends with the run when it fails before starting", async () => {
    expect((await h.bunker(["run", "--rm", "127.0.0.1:1/nosuchimage"])).code).toBe(125);
    expect((await h.bunker(["run", "--rm", "-u", "nope", "busybox", "true"])).code).toBe(125);
    expect((await h.bunker(["run", "--rm", "--memory", "1k", "busybox", "true"])).code).toBe(125);
    // no init of ours waits on a payload that will never come
    expect(initProcesses()).toEqual([]);
  });

  test("image config merged with flags: env, workdir, user, groups, hostname, entrypoint", async () => {
    const env = await h.ok(["run", "--rm", "-e", "A=1", "-e", "PATH=/bin", "busybox", "env"]);
    expect(env).toContain("A=1");
    expect(env).toContain("PATH=/bin");
    expect(env).toContain("HOME=/root");
    expect(await h.ok(["run", "--rm", "-w", "/tmp", "busybox", "pwd"])).toBe("/tmp");
    expect(await h.ok(["run", "--rm", "-u", "user", "busybox", "id"])).toContain("uid=1000(user) gid=1000(user)");
    expect(await h.ok(["run", "--rm", "-u", "1000:50", "--group-add", "wheel", "busybox", "id", "-G"])).toContain("10");
    expect(await h.ok(["run", "--rm", "--hostname", "box", "busybox", "hostname"])).toBe("box");
    const id = await h.ok(["create", "busybox", "hostname"]);
    expect(await h.ok(["start", "-a", id])).toBe(id.slice(0, 12));
    expect(await h.ok(["run", "--rm", "--entrypoint", "echo", "busybox", "a", "b"])).toBe("a b");
  });

  test("--read-only root, writable /tmp needs a tmpfs: writing / fails", async () => {
    const r = await h.bunker(["run", "--rm", "--read-only", "busybox", "touch", "/x"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Read-only file system");
  });

  test("-i passes stdin; the container's pid 1 is the command", async () => {
    expect(await h.ok(["run", "--rm", "-i", "busybox", "cat"], "piped\n")).toBe("piped");
    expect(await h.ok(["run", "--rm", "busybox", "sh", "-c", "echo $$"])).toBe("1");
  });

  test("memory limit is visible inside; OOM gives 137 and OOMKilled", async () => {
    expect(await h.ok(["run", "--rm", "-m", "64m", "busybox", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"])).toBe("67108864");
    const r = await h.bunker(["run", "--name", "oom", "-m", "16m", "--memory-swap", "16m", "busybox", "sh", "-c", "x=a; while true; do x=$x$x; done"]);
    expect(r.code).toBe(137);
    expect(await h.ok(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom"])).toBe("true 137");
  });

  test("--pids-limit and --cpus reach the cgroup", async () => {
    const out = await h.ok(["run", "--rm", "--pids-limit", "50", "--cpus", "0.5", "busybox", "sh", "-c",
      "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us"]);
    expect(out.split("\n")).toEqual(["50", "50000"]);
  });

  test("logs keep stdout and stderr apart; --tail and -t", async () => {
    await h.ok(["run", "--name", "lg", "busybox", "sh", "-c", "echo one; echo two >&2; echo three"]);
    const r = await h.bunker(["logs", "lg"]);
    expect(r.stdout).toBe("one\nthree\n");
    expect(r.stderr).toBe("two\n");
    // stdout and stderr are separate pipes: their relative order is not defined, so tail only stdout
    await h.ok(["run", "--name", "lg2", "busybox", "sh", "-c", "echo one; echo two; echo three"]);
    expect((await h.bunker(["logs", "--tail", "1", "lg2"])).stdout).toBe("three\n");
    expect((await h.bunker(["logs", "-n", "2", "lg2"])).stdout).toBe("two\nthree\n");
    expect((await h.bunker(["logs", "-t", "lg"])).stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z one\n/);
  });

  test("seccomp filter by default, none with seccomp=unconfined; default capabilities", async () => {
    expect(await h.ok(["run", "--rm", "busybox", "grep", "^Seccomp:", "/proc/self/status"])).toMatch(/Seccomp:\s+2/);
    expect(await h.ok(["run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "grep", "^Seccomp:", "/proc/self/status"])).toMatch(/Seccomp:\s+0/);
    expect(await h.ok(["run", "--rm", "busybox", "grep", "^CapEff:", "/proc/self/status"])).toMatch(/CapEff:\s+00000000a80425fb/);
  });

  test("ps -s shows the RW layer and the virtual size; logs -f follows until the container ends", async () => {
    await h.ok(["run", "-d", "--name", "sz", "busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1k count=3000 2>/dev/null; echo done; sleep 1; echo bye"]);
    expect(await h.ok(["logs", "-f", "sz"])).toBe("done\nbye");
    expect(await h.ok(["ps", "-a", "-s", "--format", "{{.Size}}"])).toMatch(/^3\.\d+MB \(virtual \d+(\.\d+)?MB\)$/);
  });

  test("logs are bounded: --log-opt max-size/max-file rotate the json log", async () => {
    const id = await h.ok(["create", "--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=2", "busybox", "sh", "-c", "seq 1 2000"]);
    await h.ok(["start", "-a", "chatty"]);
    const { readdirSync, statSync } = await import("node:fs");
    const dir = `${h.root}/containers/${id}`;
    const logs = readdirSync(dir).filter((f) => f.includes("-json.log"));
    expect(logs.sort()).toEqual([`${id}-json.log`, `${id}-json.log.1`]);
    for (const f of logs) expect(statSync(`${dir}/${f}`).size).toBeLessThanOrEqual(2048);
    const out = (await h.ok(["logs", "chatty"])).split("\n");
    expect(out[out.length - 1]).toBe("2000");
    expect(out.length).toBeLessThan(2000);
    expect(JSON.parse(await h.ok(["inspect", "-f", "{{json .HostConfig.LogConfig}}", "chatty"]))).toEqual({ Type: "json-file", Config: { "max-size": "2k", "max-file": "2" } });
  });

  test("-v, --mount and --tmpfs: binds, named and anonymous volumes; rm -v removes the anonymous ones", async () => {
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const host = `${h.base}/host`;
    mkdirSync(host);
    writeFileSync(`${host}/f`, "hostfile\n");
    const out = await h.ok(["run", "--rm", "-v", `${host}:/h:ro`, "-v", "named:/data", "--tmpfs", "/scratch", "busybox", "sh", "-c",
      "cat /h/f; echo x > /data/x; touch /h/y 2>/dev/null || echo ro; grep -c ' /scratch ' /proc/mounts"]);
    expect(out.split("\n")).toEqual(["hostfile", "ro", "1"]);
    expect(await h.ok(["run", "--rm", "--mount", "type=volume,src=named,dst=/d", "busybox", "cat", "/d/x"])).toBe("x");
    await h.ok(["run", "--name", "anon", "-v", "/anon", "busybox", "true"]);
    const mounts = JSON.parse(await h.ok(["inspect", "-f", "{{json .Mounts}}", "anon"]));
    expect(mounts).toHaveLength(1);
    expect(mounts[0]).toMatchObject({ Type: "volume", Destination: "/anon", RW: true });
    await h.ok(["rm", "-v", "anon"]);
    expect((await h.ok(["volume", "ls", "-q"])).split("\n")).toEqual(["named"]);
    await h.ok(["volume", "rm", "named"]);
  });

  test("bad flag values are refused before anything is created", async () => {
    const r = await h.bunker(["run", "--rm", "--restart", "always", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("conflicting options: cannot specify both --restart and --rm");
    const w = await h.bunker(["run", "-w", "rel", "busybox", "true"]);
    expect(w.code).toBe(125);
    expect(await h.ok(["ps", "-aq"])).toBe("");
  });

  test("resource limits and capabilities are checked at create (Docker's words), not at start: nothing is left behind", async () => {
    for (const verb of ["run", "create"]) {
      // docker's create exits 1 for what the daemon refuses, run 125
      const code = verb === "run" ? 125 : 1;
      const r = await h.bunker([verb, "-m", "1", "busybox", "true"]);
      expect(r.code).toBe(code);
      expect(r.stderr).toContain("Minimum memory limit allowed is 6MB");
      const swap = await h.bunker([verb, "-m", "64m", "--memory-swap", "32m", "busybox", "true"]);
      expect(swap.code).toBe(code);
      expect(swap.stderr).toContain("Minimum memoryswap limit should be larger than memory limit, see usage");
      const cap = await h.bunker([verb, "--cap-add", "BOGUS", "busybox", "true"]);
      expect(cap.code).toBe(code);
      expect(cap.stderr).toContain('Error response from daemon: invalid CapAdd: unknown capability: "CAP_BOGUS"');
      const drop = await h.bunker([verb, "--cap-drop", "nope", "busybox", "true"]);
      expect(drop.stderr).toContain('Error response from daemon: invalid CapDrop: unknown capability: "CAP_NOPE"');
      const cpus = await h.bunker([verb, "--cpus", "1", "--cpu-period", "50000", "busybox", "true"]);
      expect(cpus.code).toBe(code);
      expect(cpus.stderr).toContain("Conflicting options: Nano CPUs and CPU Period cannot both be set");
      expect(await h.ok(["ps", "-aq"])).toBe("");
    }
    // a valid limit still creates
    expect(await h.ok(["create", "-m", "64m", "busybox", "true"])).toMatch(/^[0-9a-f]{64}$/);
  });

  test("--pull never|missing|always: never fails on an absent image with the daemon's words; bad values refused", async () => {
    for (const verb of ["run", "create"]) {
      const never = await h.bunker([verb, "--pull", "never", "nosuchimage"]);
      expect(never.code).toBe(verb === "run" ? 125 : 1);
      expect(never.stderr).toContain("Error response from daemon: No such image: nosuchimage:latest");
      expect(never.stderr).not.toContain("Unable to find image");
      const bogus = await h.bunker([verb, "--pull", "bogus", "busybox", "true"]);
      expect(bogus.code).toBe(125);
      expect(bogus.stderr).toContain(`invalid pull option: 'bogus': must be one of "always", "missing" or "never"`);
      expect(await h.ok(["ps", "-aq"])).toBe("");
    }
    // a local image needs no pull with never/missing
    expect(await h.ok(["run", "--rm", "--pull", "never", "busybox", "echo", "ok"])).toBe("ok");
    expect(await h.ok(["run", "--rm", "--pull=missing", "busybox", "echo", "ok"])).toBe("ok");
  });

  test("--format: an unknown field fails like Docker's Go templates; an absent label prints <no value>", async () => {
    await h.ok(["create", "--name", "fmt", "-l", "a=1", "busybox", "true"]);
    const ps = await h.bunker(["ps", "-a", "--format", "{{.Foo}}"]);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toContain(`template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type *formatter.ContainerContext`);
    const insp = await h.bunker(["inspect", "-f", "{{.Foo}}", "fmt"]);
    expect(insp.code).toBe(1);
    expect(insp.stderr).toContain(`template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"`);
    expect(await h.ok(["inspect", "-f", "{{.Config.Labels.missing}} {{.Config.Labels.a}}", "fmt"])).toBe("<no value> 1");
    expect(await h.ok(["container", "inspect", "-f", "{{.Config.Labels.missing}}", "fmt"])).toBe("<no value>");
  });
  // `script` gives the CLI a real terminal of a known size; both verbs must start the program with it
  test("run -t and exec -t start with the caller's window size", async () => {
    const q = (a: string[]) => a.map((x) => `'${x.replace(/'/g, "'\\''")}'`).join(" ");
    const inPty = async (args: string[]) => {
      const cmd = `stty rows 29 cols 87; ${q(h.argv(args))}`;
      const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: h.env() });
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      // the outer pty adds its own \r (onlcr) to the container's "29 87\r\n"
      return { out: out.trim(), code };
    };
    const r = await inPty(["run", "--rm", "-t", "busybox", "stty", "size"]);
    expect([r.code, r.out]).toEqual([0, "29 87"]);
    await h.ok(["run", "-d", "--name", "sz", "busybox", "sleep", "30"]);
    const e = await inPty(["exec", "-t", "sz", "stty", "size"]);
    expect([e.code, e.out]).toEqual([0, "29 87"]);
  });
});
