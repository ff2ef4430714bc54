/**
 * cgroup v1/v2 managers on fixture directories (youki's set_fixture pattern): the tempdir plays the
 * cgroupfs, pre-made files play the kernel's control files, and the test reads back what was written.
 */
import { describe, expect, test } from "bun:test";
import { put, read, root, useCgroupFixture } from "../helpers/cgroup-fixture.ts";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CgroupError, cgroupManager, cleanupOrphans, detectCgroupVersion, normalizeResources, parseCpuList, sharesToWeight,
  validateResources, type CgroupSysInfo,
} from "../../src/runtime/cgroups/index.ts";

useCgroupFixture();

/** A v1 host like this one: memsw on, 4 CPUs, one memory node. */
function v1Host(opts: { swap?: boolean } = {}): void {
  put({
    "memory/memory.limit_in_bytes": "9223372036854771712",
    ...(opts.swap === false ? {} : { "memory/memory.memsw.limit_in_bytes": "9223372036854771712" }),
    "cpu/cpu.shares": "1024",
    "cpu/cpu.cfs_quota_us": "-1",
    "cpu/cpu.cfs_period_us": "100000",
    "cpuacct/cpuacct.usage": "0",
    "cpuset/cpuset.cpus": "0-3",
    "cpuset/cpuset.mems": "0",
    "cpuset/cpuset.effective_cpus": "0-3",
    "cpuset/cpuset.effective_mems": "0",
    "pids/pids.max": "max",
    "freezer/tasks": "",
    "devices/devices.list": "a *:* rwm",
    "blkio/tasks": "",
  });
}
/** The kernel makes these files at mkdir; a fixture has to pre-make the ones code reads. */
function v1Leaf(id: string, parent = "bunker"): void {
  put({
    [`memory/${parent}/${id}/memory.limit_in_bytes`]: "9223372036854771712",
    [`memory/${parent}/${id}/memory.memsw.limit_in_bytes`]: "9223372036854771712",
    [`cpuset/${parent}/cpuset.cpus`]: "",
    [`cpuset/${parent}/cpuset.mems`]: "",
    [`cpuset/${parent}/${id}/cpuset.cpus`]: "",
    [`cpuset/${parent}/${id}/cpuset.mems`]: "",
  });
}

const info = (over: Partial<CgroupSysInfo> = {}): CgroupSysInfo => ({
  memoryLimit: true, swapLimit: true, memoryReservation: true, pidsLimit: true, cpuShares: true, cpuCfs: true,
  cpuset: true, cpus: "0-3", mems: "0", numCpu: 4, ...over,
});

describe("Docker's resource validation", () => {
  const bad: Array<[string, object, string]> = [
    ["memory below 6MB", { memory: 4 << 20 }, "Minimum memory limit allowed is 6MB"],
    ["swap below memory", { memory: 64 << 20, memorySwap: 32 << 20 }, "Minimum memoryswap limit should be larger than memory limit, see usage"],
    ["swap without memory", { memorySwap: 64 << 20 }, "You should always set the Memory limit when using Memoryswap limit, see usage"],
    ["reservation below 6MB", { memoryReservation: 1 << 20 }, "Minimum memory reservation allowed is 6MB"],
    ["reservation above memory", { memory: 64 << 20, memoryReservation: 128 << 20 }, "Minimum memory limit can not be less than memory reservation limit, see usage"],
    ["--cpus with --cpu-period", { nanoCpus: 1e9, cpuPeriod: 50000 }, "Conflicting options: Nano CPUs and CPU Period cannot both be set"],
    ["--cpus with --cpu-quota", { nanoCpus: 1e9, cpuQuota: 50000 }, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"],
    ["--cpus above the host", { nanoCpus: 5e9 }, "range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available"],
    ["period out of range", { cpuPeriod: 500 }, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"],
    ["quota below 1ms", { cpuQuota: 999 }, "CPU cfs quota can not be less than 1ms (i.e. 1000)"],
    ["negative shares", { cpuShares: -5 }, "invalid CPU shares (-5): value must be a positive integer"],
    ["cpuset not available", { cpusetCpus: "0-7" }, "Requested CPUs are not available - requested 0-7, available: 0-3"],
    ["cpuset malformed", { cpusetCpus: "0-x" }, "Invalid value 0-x for cpuset cpus: invalid format: 0-x"],
    ["mems not available", { cpusetMems: "1" }, "Requested memory nodes are not available - requested 1, available: 0"],
  ];
  for (const [name, r, msg] of bad) {
    test(name, () => {
      expect(() => validateResources(r, info())).toThrow(msg);
    });
  }
  test("errors are CgroupError with exit 125", () => {
    try {
      validateResources({ memory: 1 }, info());
      throw new Error("no throw");
    } catch (e) {
      expect(e).toBeInstanceOf(CgroupError);
      expect((e as CgroupError).exitCode).toBe(125);
    }
  });
  test("no swap accounting: warning, swap dropped", () => {
    const { resources, warnings } = validateResources({ memory: 64 << 20, memorySwap: 128 << 20 }, info({ swapLimit: false }));
    expect(warnings).toEqual(["Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap."]);
    expect(resources.memorySwap).toBe(-1);
  });
  test("no memory controller: warning, limit discarded", () => {
    const { resources, warnings } = validateResources({ memory: 64 << 20 }, info({ memoryLimit: false }));
    expect(warnings[0]).toBe("Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.");
    expect(resources.memory).toBeUndefined();
  });
  test("update may set swap alone", () => {
    expect(validateResources({ memorySwap: 64 << 20 }, info(), true).warnings).toEqual([]);
  });
  test("--memory alone allows as much swap (MemorySwap = 2 × Memory)", () => {
    expect(normalizeResources({ memory: 100 << 20 }).memorySwap).toBe(200 << 20);
    expect(normalizeResources({ memory: 100 << 20, memorySwap: -1 }).memorySwap).toBe(-1);
  });
  test("cpu lists and shares→weight", () => {
    expect(parseCpuList("0-2,5")).toEqual([0, 1, 2, 5]);
    expect(parseCpuList("3-1")).toBeNull();
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
    expect(sharesToWeight(1)).toBe(1);
  });
});

describe("detectCgroupVersion", () => {
  test("v1/hybrid vs unified", () => {
    v1Host();
    expect(detectCgroupVersion(root)).toBe(1);
    put({ "cgroup.controllers": "cpu memory" });
    expect(detectCgroupVersion(root)).toBe(2);
  });
});

describe("cgroup v1 on fixtures", () => {
  test("create writes every limit where Docker would", () => {
    v1Host();
    v1Leaf("c1");
    const cg = cgroupManager("c1", { root, version: 1, numCpu: 4 });
    expect(cg.version).toBe(1);
    const warnings = cg.create({
      memory: 64 << 20, memoryReservation: 32 << 20, cpuShares: 512, nanoCpus: 1.5e9, cpusetCpus: "1-2", pidsLimit: 100,
    });
    expect(warnings).toEqual([]);
    expect(read("memory/bunker/c1/memory.limit_in_bytes")).toBe(String(64 << 20));
    expect(read("memory/bunker/c1/memory.memsw.limit_in_bytes")).toBe(String(128 << 20));
    expect(read("memory/bunker/c1/memory.soft_limit_in_bytes")).toBe(String(32 << 20));
    expect(read("cpu/bunker/c1/cpu.shares")).toBe("512");
    expect(read("cpu/bunker/c1/cpu.cfs_period_us")).toBe("100000");
    expect(read("cpu/bunker/c1/cpu.cfs_quota_us")).toBe("150000");
    expect(read("cpuset/bunker/c1/cpuset.cpus")).toBe("1-2");
    expect(read("pids/bunker/c1/pids.max")).toBe("100");
    expect(Object.keys(cg.paths).sort()).toEqual(["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"]);
    for (const d of Object.values(cg.paths)) expect(existsSync(d)).toBe(true);
  });

  test("cpuset: parent's cpus/mems copied into new dirs (the v1 trap)", () => {
    v1Host();
    v1Leaf("c1");
    cgroupManager("c1", { root, version: 1 }).create({});
    expect(read("cpuset/bunker/cpuset.cpus")).toBe("0-3");
    expect(read("cpuset/bunker/cpuset.mems")).toBe("0");
    expect(read("cpuset/bunker/c1/cpuset.cpus")).toBe("0-3");
    expect(read("cpuset/bunker/c1/cpuset.mems")).toBe("0");
  });

  test("devices: deny all, then Docker's allow list; privileged allows all", () => {
    v1Host();
    cgroupManager("c1", { root, version: 1 }).create({});
    expect(read("devices/bunker/c1/devices.deny")).toBe("a\n");
    const allow = read("devices/bunker/c1/devices.allow").trim().split("\n");
    expect(allow).toContain("c 1:3 rwm");
    expect(allow).toContain("c 136:* rwm");
    expect(allow).not.toContain("a *:* rwm");
    cgroupManager("c2", { root, version: 1 }).create({ devices: ["a *:* rwm"] });
    expect(existsSync(join(root, "devices/bunker/c2/devices.deny"))).toBe(false);
    expect(read("devices/bunker/c2/devices.allow")).toBe("a\n");
  });

  test("--memory-swap -1 and unlimited pids", () => {
    v1Host();
    v1Leaf("c1");
    cgroupManager("c1", { root, version: 1 }).create({ memory: 64 << 20, memorySwap: -1, pidsLimit: 0 });
    expect(read("memory/bunker/c1/memory.memsw.limit_in_bytes")).toBe("-1");
    expect(read("pids/bunker/c1/pids.max")).toBe("max");
  });

  test("no swap accounting: Docker's warning, memsw untouched", () => {
    v1Host({ swap: false });
    const cg = cgroupManager("c1", { root, version: 1 });
    expect(cg.create({ memory: 64 << 20 })).toEqual([
      "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.",
    ]);
    expect(read("memory/bunker/c1/memory.limit_in_bytes")).toBe(String(64 << 20));
    expect(existsSync(join(root, "memory/bunker/c1/memory.memsw.limit_in_bytes"))).toBe(false);
  });

  test("validation happens before anything is created", () => {
    v1Host();
    expect(() => cgroupManager("c1", { root, version: 1 }).create({ memory: 1 << 20 })).toThrow("Minimum memory limit allowed is 6MB");
    expect(existsSync(join(root, "memory/bunker/c1"))).toBe(false);
  });

  test("update writes only what is given; lowering memory below current memsw works in order", () => {
    v1Host();
    v1Leaf("c1");
    const cg = cgroupManager("c1", { root, version: 1 });
    cg.create({ memory: 256 << 20, cpuShares: 512 });
    cg.update({ memory: 64 << 20, memorySwap: 100 << 20, pidsLimit: 5 });
    expect(read("memory/bunker/c1/memory.limit_in_bytes")).toBe(String(64 << 20));
    expect(read("memory/bunker/c1/memory.memsw.limit_in_bytes")).toBe(String(100 << 20));
    expect(read("cpu/bunker/c1/cpu.shares")).toBe("512");
    expect(read("pids/bunker/c1/pids.max")).toBe("5");
    expect(() => cg.update({ memory: 1 << 30 })).toThrow("Memory limit should be smaller than already set memoryswap limit");
    cg.update({ cpuQuota: -1 });
    expect(read("cpu/bunker/c1/cpu.cfs_quota_us")).toBe("-1");
  });

  test("addProcess/procsFiles: every hierarchy, co-mounted ones once", () => {
    v1Host();
    rmSync(join(root, "cpu"), { recursive: true });
    rmSync(join(root, "cpuacct"), { recursive: true });
    mkdirSync(join(root, "cpu,cpuacct"));
    symlinkSync("cpu,cpuacct", join(root, "cpu"));
    symlinkSync("cpu,cpuacct", join(root, "cpuacct"));
    const cg = cgroupManager("c1", { root, version: 1 });
    cg.create({});
    const files = cg.procsFiles();
    expect(files.length).toBe(7);
    cg.addProcess(4242);
    cg.addProcess(4243);
    expect(read("memory/bunker/c1/cgroup.procs")).toBe("4242\n4243\n");
    expect(read("cpu,cpuacct/bunker/c1/cgroup.procs")).toBe("4242\n4243\n");
    expect(cg.pids()).toEqual([4242, 4243]);
  });

  test("stats and oomKilled read the kernel's counters", () => {
    v1Host();
    v1Leaf("c1");
    const cg = cgroupManager("c1", { root, version: 1 });
    cg.create({ memory: 64 << 20 });
    put({
      "memory/bunker/c1/memory.usage_in_bytes": "1048576",
      "cpuacct/bunker/c1/cpuacct.usage": "123456789",
      "pids/bunker/c1/pids.current": "3",
      "memory/bunker/c1/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
    });
    expect(cg.stats()).toEqual({ memoryUsage: 1048576, memoryLimit: 64 << 20, cpuUsageNs: 123456789, pids: 3 });
    expect(cg.oomKilled()).toBe(false);
    put({ "memory/bunker/c1/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n" });
    expect(cg.oomKilled()).toBe(true);
  });

  test("freeze/thaw through freezer.state", async () => {
    v1Host();
    const cg = cgroupManager("c1", { root, version: 1, timeoutMs: 200 });
    cg.create({});
    expect(cg.frozen()).toBe(false);
    await cg.freeze();
    expect(read("freezer/bunker/c1/freezer.state")).toBe("FROZEN");
    expect(cg.frozen()).toBe(true);
    await cg.thaw();
    expect(cg.frozen()).toBe(false);
  });

  test("destroy kills what is left, removes every dir, and is idempotent", async () => {
    v1Host();
    const killed: number[] = [];
    const cg = cgroupManager("c1", {
      root, version: 1, timeoutMs: 500,
      kill: (pid) => {
        killed.push(pid);
        for (const f of cg.procsFiles()) writeFileSync(f, ""); // the "kernel" empties the cgroup
      },
    });
    cg.create({});
    cg.addProcess(777);
    await cg.destroy();
    expect(killed).toContain(777);
    for (const d of Object.values(cg.paths)) expect(existsSync(d)).toBe(false);
    expect(existsSync(join(root, "memory/bunker"))).toBe(true); // the shared parent stays
    await cg.destroy();
  });

  test("a write the kernel refuses leaves no half-made cgroup", () => {
    v1Host();
    v1Leaf("c1");
    mkdirSync(join(root, "pids/bunker/c1/pids.max"), { recursive: true }); // writing it fails (EISDIR)
    expect(() => cgroupManager("c1", { root, version: 1 }).create({ pidsLimit: 10 })).toThrow(/write 10 to .*pids\.max/);
    expect(existsSync(join(root, "memory/bunker/c1"))).toBe(false);
  });

  test("a root with no v1 hierarchy and no cgroup2 (a wrong BUNKER_CGROUP_ROOT) fails create instead of running unconfined", () => {
    put({ "not-a-hierarchy.txt": "" });
    const cg = cgroupManager("c1", { root });
    expect(cg.version).toBe(1);
    expect(() => cg.create({})).toThrow(new CgroupError(`cgroup: no cgroup v1 hierarchy and no cgroup2 mount at \`${root}\``));
    expect(existsSync(join(root, "bunker"))).toBe(false);
  });

  test("stats without a memory hierarchy: 0 / 0, not the host's RAM beside a usage of 0", () => {
    put({ "pids/pids.max": "max", "cpuacct/cpuacct.usage": "0" });
    const cg = cgroupManager("c1", { root, version: 1 });
    cg.create({});
    put({ "pids/bunker/c1/pids.current": "2", "cpuacct/bunker/c1/cpuacct.usage": "5" });
    expect(cg.stats()).toEqual({ memoryUsage: 0, memoryLimit: 0, cpuUsageNs: 5, pids: 2 });
  });

  test("ids that escape the parent are refused", () => {
    expect(() => cgroupManager("../x", { root })).toThrow(CgroupError);
    expect(() => cgroupManager("a/b", { root })).toThrow(CgroupError);
  });

  test("cleanupOrphans removes only dead containers", async () => {
    v1Host();
    for (const id of ["alive1", "dead1", "dead2"]) cgroupManager(id, { root, version: 1 }).create({});
    const { removed, errors } = await cleanupOrphans((id) => id.startsWith("alive"), { root, version: 1 });
    expect(errors).toEqual([]);
    expect(removed.sort()).toEqual(["dead1", "dead2"]);
    expect(existsSync(join(root, "memory/bunker/alive1"))).toBe(true);
    expect(existsSync(join(root, "pids/bunker/dead1"))).toBe(false);
  });
});

describe("warmAttach: the no-op move that starts the RCU wait early", () => {
  test("hybrid: the memory controller's own cgroup; pure v2: the unified one; nothing known: none", async () => {
    const { warmTarget } = await import("../../src/runtime/cgroups/warm.ts");
    const hybrid = "12:pids:/user.slice\n4:memory:/user.slice/session-1.scope\n0::/user.slice/session-1.scope\n";
    expect(warmTarget(hybrid, "/sys/fs/cgroup")).toBe("/sys/fs/cgroup/memory/user.slice/session-1.scope/cgroup.procs");
    expect(warmTarget("0::/system.slice/x.service\n", "/sys/fs/cgroup")).toBe("/sys/fs/cgroup/system.slice/x.service/cgroup.procs");
    expect(warmTarget("0::/\n", "/cg")).toBe("/cg/cgroup.procs");
    expect(warmTarget("", "/cg")).toBeNull();
  });
});
