/**
 * Real cgroups on this host (v1 hybrid: /sys/fs/cgroup/<controller>; v2 under /sys/fs/cgroup/unified).
 * Every test works under its own parent "bunker-test-<rand>" and removes it, and kills its children,
 * in afterEach even when an assertion failed.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { cgroupManager, type CgroupManager } from "../../src/runtime/cgroups/index.ts";

const ROOT = "/sys/fs/cgroup";
const isRoot = process.getuid?.() === 0;
const hasV1 = existsSync(join(ROOT, "memory", "memory.limit_in_bytes"));
const hasUnified = existsSync(join(ROOT, "unified", "cgroup.procs")) && !existsSync(join(ROOT, "cgroup.controllers"));

const parent = `bunker-test-${Math.random().toString(36).slice(2, 8)}`;
const children: Subprocess[] = [];
const managers: CgroupManager[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
  for (const m of managers.splice(0)) {
    try {
      if (m.frozen()) await m.thaw();
    } catch {}
    await m.destroy().catch(() => {});
  }
  // the per-run parent dirs, in every hierarchy
  for (const h of readdirSync(ROOT)) {
    for (const base of [join(ROOT, h, parent), join(ROOT, h, "unified", parent)]) {
      try {
        rmdirSync(base);
      } catch {}
    }
  }
});

function manager(id: string, version: 1 | 2 = 1): CgroupManager {
  const m = cgroupManager(id, { root: ROOT, version, parent, timeoutMs: 5000 });
  managers.push(m);
  return m;
}

function spawn(cmd: string[]): Subprocess<"pipe", "pipe", "inherit"> {
  const p = Bun.spawn(cmd, { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  children.push(p);
  return p;
}

const cat = (p: string) => readFileSync(p, "utf8").trim();
const procState = (pid: number) => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];

describe.skipIf(!isRoot || !hasV1)("cgroup v1 on this host", () => {
  test("limits are written, a process joins, stats read back, destroy cleans up", async () => {
    const m = manager("limits");
    const warnings = m.create({ memory: 64 << 20, cpuShares: 512, nanoCpus: 0.5e9, pidsLimit: 20, cpusetCpus: "0" });
    expect(warnings).toEqual([]);
    expect(cat(join(m.paths.memory!, "memory.limit_in_bytes"))).toBe(String(64 << 20));
    expect(cat(join(m.paths.memory!, "memory.memsw.limit_in_bytes"))).toBe(String(128 << 20));
    expect(cat(join(m.paths.cpu!, "cpu.shares"))).toBe("512");
    expect(cat(join(m.paths.cpu!, "cpu.cfs_quota_us"))).toBe("50000");
    expect(cat(join(m.paths.pids!, "pids.max"))).toBe("20");
    expect(cat(join(m.paths.cpuset!, "cpuset.cpus"))).toBe("0");
    // the devices cgroup denies the host's disks
    expect(cat(join(m.paths.devices!, "devices.list"))).not.toContain("a *:* rwm");

    const p = spawn(["sleep", "1000"]);
    m.addProcess(p.pid);
    expect(m.pids()).toEqual([p.pid]);
    const mine = readFileSync(`/proc/${p.pid}/cgroup`, "utf8");
    expect(mine).toContain(`memory:/${parent}/limits`);
    expect(mine).toContain(`pids:/${parent}/limits`);
    const st = m.stats();
    expect(st.pids).toBe(1);
    expect(st.memoryLimit).toBe(64 << 20);
    expect(st.memoryUsage).toBeGreaterThanOrEqual(0);

    m.update({ memory: 32 << 20, memorySwap: 32 << 20, pidsLimit: 0 });
    expect(cat(join(m.paths.memory!, "memory.limit_in_bytes"))).toBe(String(32 << 20));
    expect(cat(join(m.paths.pids!, "pids.max"))).toBe("max");

    await m.destroy();
    expect(await p.exited).not.toBe(0);
    expect(p.signalCode).toBe("SIGKILL");
    for (const d of Object.values(m.paths)) expect(existsSync(d)).toBe(false);
    await m.destroy(); // idempotent
  });

  test("freeze stops the tasks, thaw resumes them", async () => {
    const m = manager("freeze");
    m.create({});
    const p = spawn(["sleep", "1000"]);
    m.addProcess(p.pid);
    await m.freeze();
    expect(m.frozen()).toBe(true);
    expect(cat(join(m.paths.freezer!, "freezer.state"))).toBe("FROZEN");
    expect(procState(p.pid)).toBe("D"); // frozen tasks show as uninterruptible
    await m.thaw();
    expect(m.frozen()).toBe(false);
    const deadline = Date.now() + 2000;
    while (procState(p.pid) === "D" && Date.now() < deadline) await Bun.sleep(5);
    expect(["S", "R"]).toContain(procState(p.pid)!); // running again (R for an instant after the thaw)
  });

  test("destroy also kills a frozen cgroup", async () => {
    const m = manager("frozen-destroy");
    m.create({});
    const p = spawn(["sleep", "1000"]);
    m.addProcess(p.pid);
    await m.freeze();
    await m.destroy();
    await p.exited;
    expect(p.signalCode).toBe("SIGKILL");
    expect(existsSync(m.paths.freezer!)).toBe(false);
  });

  test("a task above --memory is OOM-killed and oomKilled() says so", async () => {
    const m = manager("oom");
    m.create({ memory: 20 << 20 });
    // held on stdin until it is inside the cgroup, then dd touches a 64 MiB buffer
    const p = spawn(["/bin/sh", "-c", "read x; exec dd if=/dev/zero of=/dev/null bs=64M count=1"]);
    m.addProcess(p.pid);
    expect(m.oomKilled()).toBe(false);
    p.stdin.write("go\n");
    await p.stdin.end();
    await p.exited;
    expect(p.signalCode).toBe("SIGKILL");
    expect(m.oomKilled()).toBe(true);
  });

  test("pids.max stops forks", async () => {
    const m = manager("pids");
    m.create({ pidsLimit: 3 });
    // perl + 2 children fill the limit; the other forks fail with EAGAIN. perl reaps its own children,
    // so nothing is orphaned to PID 1 (which does not reap here).
    const script =
      'my ($ok,$fail)=(0,0); my @k; <STDIN>; for (1..6) { my $p = fork; if (!defined $p) { $fail++; next } ' +
      'if (!$p) { sleep 30; exit 0 } $ok++; push @k, $p } print "$ok $fail\\n"; kill 9, @k; waitpid($_, 0) for @k;';
    const p = Bun.spawn(["perl", "-e", script], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    children.push(p);
    m.addProcess(p.pid);
    p.stdin.write("go\n");
    await p.stdin.end();
    expect(await p.exited).toBe(0);
    expect((await new Response(p.stdout).text()).trim()).toBe("2 4");
    expect(cat(join(m.paths.pids!, "pids.events"))).toMatch(/max [1-9]/);
    await m.destroy();
    expect(m.pids()).toEqual([]);
  });
});

describe.skipIf(!isRoot || !hasUnified)("cgroup v2 on the hybrid unified mount", () => {
  test("create, join, freeze via cgroup.freeze, thaw, destroy via cgroup.kill", async () => {
    const m = manager("v2", 2);
    expect(m.version).toBe(2);
    m.create({});
    const p = spawn(["sleep", "1000"]);
    m.addProcess(p.pid);
    expect(m.pids()).toEqual([p.pid]);
    expect(readFileSync(`/proc/${p.pid}/cgroup`, "utf8")).toContain(`0::/${parent}/v2`);
    await m.freeze();
    expect(m.frozen()).toBe(true);
    expect(cat(join(m.paths.unified!, "cgroup.freeze"))).toBe("1");
    await m.thaw();
    expect(m.frozen()).toBe(false);
    await m.destroy();
    await p.exited;
    expect(p.signalCode).toBe("SIGKILL");
    expect(existsSync(m.paths.unified!)).toBe(false);
  });
});
