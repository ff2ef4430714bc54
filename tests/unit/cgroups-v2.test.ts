/**
 * cgroup v2 manager on fixture directories (youki's set_fixture pattern): the tempdir plays the
 * cgroupfs, pre-made files play the kernel's control files, and the test reads back what was written.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { put, read, root, useCgroupFixture } from "../helpers/cgroup-fixture.ts";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupError, cgroupManager, DEFAULT_DEVICE_RULES, PRIVILEGED_DEVICE_RULES } from "../../src/runtime/cgroups/index.ts";
import { deviceFilterProgram } from "../../src/runtime/cgroups/v2/devices/program.ts";
import { BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE, Errno, O_DIRECTORY, RecordingSys } from "../../src/sys/index.ts";

useCgroupFixture();

/** the kernel side of the device filter: a fixture dir is no cgroup, so bpf goes to the recorder */
let sys: RecordingSys;
beforeEach(() => {
  sys = new RecordingSys();
});

/** the hybrid layout: v1 hierarchies plus an (empty) unified mount */
function v1Host(): void {
  put({ "memory/memory.limit_in_bytes": "9223372036854771712", "pids/pids.max": "max", "freezer/tasks": "" });
}

/** A pure v2 host: controllers offered at the root, swap accounting on. */
function v2Host(opts: { controllers?: string; swap?: boolean } = {}): void {
  put({
    "cgroup.controllers": opts.controllers ?? "cpuset cpu io memory hugetlb pids rdma misc",
    "cgroup.subtree_control": "",
    "cpuset.cpus.effective": "0-3",
    "cpuset.mems.effective": "0",
    "bunker/cgroup.controllers": opts.controllers ?? "cpuset cpu io memory hugetlb pids rdma misc",
    "bunker/cgroup.subtree_control": "",
    ...(opts.swap === false ? {} : { "bunker/memory.swap.max": "max" }),
    "bunker/c1/memory.swap.max": "max",
    "bunker/c1/cpu.max": "max 100000",
    "bunker/c1/cgroup.events": "populated 0\nfrozen 0\n",
  });
}

describe("cgroup v2 on fixtures", () => {
  test("create enables controllers top-down and writes the v2 files", () => {
    v2Host();
    const cg = cgroupManager("c1", { sys, root, numCpu: 4 });
    expect(cg.version).toBe(2);
    expect(cg.paths).toEqual({ unified: join(root, "bunker/c1") });
    expect(cg.create({ memory: 64 << 20, memorySwap: 96 << 20, memoryReservation: 32 << 20, cpuShares: 1024, nanoCpus: 1.5e9, cpusetCpus: "0-1", pidsLimit: 50 })).toEqual([]);
    expect(read("cgroup.subtree_control")).toBe("+cpuset +cpu +io +memory +pids +hugetlb");
    expect(read("bunker/cgroup.subtree_control")).toBe("+cpuset +cpu +io +memory +pids +hugetlb");
    expect(read("bunker/c1/memory.max")).toBe(String(64 << 20));
    expect(read("bunker/c1/memory.swap.max")).toBe(String(32 << 20));
    expect(read("bunker/c1/memory.low")).toBe(String(32 << 20));
    expect(read("bunker/c1/cpu.weight")).toBe("39");
    expect(read("bunker/c1/cpu.max")).toBe("150000 100000");
    expect(read("bunker/c1/cpuset.cpus")).toBe("0-1");
    expect(read("bunker/c1/pids.max")).toBe("50");
    expect(cg.procsFiles()).toEqual([join(root, "bunker/c1/cgroup.procs")]);
  });

  test("--memory alone: swap.max = memory (Docker's 2× total); -1: max", () => {
    v2Host();
    cgroupManager("c1", { sys, root }).create({ memory: 64 << 20 });
    expect(read("bunker/c1/memory.swap.max")).toBe(String(64 << 20));
    cgroupManager("c1", { sys, root }).update({ memory: 64 << 20, memorySwap: -1 });
    expect(read("bunker/c1/memory.swap.max")).toBe("max");
  });

  test("cpu.max: quota alone keeps the period; unlimited quota; pids -1", () => {
    v2Host();
    const cg = cgroupManager("c1", { sys, root });
    cg.create({ cpuQuota: 50000, pidsLimit: -1 });
    expect(read("bunker/c1/cpu.max")).toBe("50000 100000");
    expect(read("bunker/c1/pids.max")).toBe("max");
    cg.update({ cpuPeriod: 200000 });
    expect(read("bunker/c1/cpu.max")).toBe("50000 200000");
    cg.update({ cpuQuota: -1 });
    expect(read("bunker/c1/cpu.max")).toBe("max 200000");
  });

  test("controllers the host does not offer are not written, with Docker's warnings", () => {
    v2Host({ controllers: "cpu pids" });
    const cg = cgroupManager("c1", { sys, root });
    const w = cg.create({ memory: 64 << 20, cpuShares: 512, pidsLimit: 10 });
    expect(w[0]).toBe("Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.");
    expect(read("bunker/cgroup.subtree_control")).toBe("+cpu +pids");
    expect(existsSync(join(root, "bunker/c1/memory.max"))).toBe(false);
    expect(read("bunker/c1/pids.max")).toBe("10");
  });

  test("hybrid host: version 2 means the unified mount", () => {
    v1Host();
    put({ "unified/cgroup.controllers": "", "unified/cgroup.subtree_control": "" });
    const cg = cgroupManager("c1", { sys, root, version: 2 });
    expect(cg.paths.unified).toBe(join(root, "unified/bunker/c1"));
    expect(cg.create({})).toEqual([]);
    expect(existsSync(join(root, "unified/bunker/c1"))).toBe(true);
  });

  test("stats on a mount without memory or pids (a hybrid host's unified): 0 / 0 memory, tasks counted from cgroup.threads", () => {
    v1Host();
    put({ "unified/cgroup.controllers": "hugetlb", "unified/cgroup.subtree_control": "" });
    const cg = cgroupManager("c1", { sys, root, version: 2 });
    cg.create({});
    put({ "unified/bunker/c1/cpu.stat": "usage_usec 250\n", "unified/bunker/c1/cgroup.procs": "10\n", "unified/bunker/c1/cgroup.threads": "10\n11\n12\n" });
    expect(cg.stats()).toEqual({ memoryUsage: 0, memoryLimit: 0, cpuUsageNs: 250000, pids: 3 });
    expect(cg.oomKilled()).toBe(false);
  });

  test("a kernel without the v2 freezer: pause fails with one line saying so, not ENOENT", async () => {
    v2Host();
    const cg = cgroupManager("c1", { sys, root, timeoutMs: 100 });
    cg.create({});
    put({ "bunker/c1/cgroup.procs": "" });
    await expect(cg.freeze()).rejects.toThrow(new CgroupError(`cgroup: no freezer at \`${join(root, "bunker/c1")}\`: cgroup.freeze needs Linux 5.2 or later`));
    expect(existsSync(join(root, "bunker/c1/cgroup.freeze"))).toBe(false);
  });

  test("freeze waits for cgroup.events frozen 1; a stuck freeze is undone", async () => {
    v2Host();
    const cg = cgroupManager("c1", { sys, root, timeoutMs: 100 });
    cg.create({});
    await expect(cg.freeze()).rejects.toThrow("did not finish");
    expect(read("bunker/c1/cgroup.freeze")).toBe("0");
    put({ "bunker/c1/cgroup.events": "populated 1\nfrozen 1\n" });
    await cg.freeze();
    expect(read("bunker/c1/cgroup.freeze")).toBe("1");
    expect(cg.frozen()).toBe(true);
    put({ "bunker/c1/cgroup.events": "populated 1\nfrozen 0\n" });
    await cg.thaw();
    expect(cg.frozen()).toBe(false);
  });

  test("a child cgroup made inside the container (a privileged one can mount cgroupfs): pids() and destroy() cover it", async () => {
    v2Host();
    const killed: number[] = [];
    const cg = cgroupManager("c1", {
      sys,
      root,
      kill: (pid) => {
        killed.push(pid);
        writeFileSync(join(root, "bunker/c1/sub/deeper/cgroup.procs"), "");
      },
    });
    cg.create({});
    put({ "bunker/c1/cgroup.procs": "", "bunker/c1/sub/cgroup.procs": "", "bunker/c1/sub/deeper/cgroup.procs": "4242\n" });
    expect(cg.pids()).toEqual([4242]);
    await cg.destroy();
    expect(killed).toEqual([4242]);
    expect(existsSync(join(root, "bunker/c1"))).toBe(false);
  });

  test("stats, oomKilled, destroy", async () => {
    v2Host();
    const killed: number[] = [];
    const cg = cgroupManager("c1", {
      sys,
      root,
      kill: (pid) => {
        killed.push(pid);
        writeFileSync(join(root, "bunker/c1/cgroup.procs"), "");
      },
    });
    cg.create({ memory: 64 << 20 });
    put({
      "bunker/c1/memory.current": "2048",
      "bunker/c1/cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
      "bunker/c1/pids.current": "2",
      "bunker/c1/memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n",
    });
    expect(cg.stats()).toEqual({ memoryUsage: 2048, memoryLimit: 64 << 20, cpuUsageNs: 1500000, pids: 2 });
    expect(cg.oomKilled()).toBe(false);
    put({ "bunker/c1/memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n" });
    expect(cg.oomKilled()).toBe(true);
    cg.addProcess(99999);
    await cg.destroy();
    expect(killed).toEqual([99999]);
    expect(existsSync(join(root, "bunker/c1"))).toBe(false);
    await cg.destroy();
  });
});

describe("cgroup v2 device filter (bpf through the recording Sys)", () => {
  const dir = () => join(root, "bunker/c1");
  const attached = () => (sys.bpfAttached.get(dir()) ?? []).filter((a) => a.attachType === BPF_CGROUP_DEVICE);

  test("create loads Docker's default list and attaches it to the container's dir, fds closed", () => {
    v2Host();
    cgroupManager("c1", { sys, root }).create({});
    const [open] = sys.callsOf("openat");
    expect(open!.path).toBe(dir());
    expect(open!.flags & O_DIRECTORY).toBe(O_DIRECTORY);
    const [load] = sys.callsOf("bpfProgLoad");
    expect(load!.progType).toBe(BPF_PROG_TYPE_CGROUP_DEVICE);
    expect(load!.insns).toEqual(deviceFilterProgram(DEFAULT_DEVICE_RULES));
    expect(sys.callsOf("bpfProgAttach")).toEqual([
      { targetFd: expect.any(Number), progFd: expect.any(Number), attachType: BPF_CGROUP_DEVICE, flags: BPF_F_ALLOW_MULTI },
    ]);
    expect(attached().map((a) => a.program.insns)).toEqual([deviceFilterProgram(DEFAULT_DEVICE_RULES)]);
    expect(sys.fds.size).toBe(0);
  });

  test("--privileged attaches allow-all", () => {
    v2Host();
    cgroupManager("c1", { sys, root }).create({ devices: [...PRIVILEGED_DEVICE_RULES] });
    expect(attached().map((a) => a.program.insns)).toEqual([deviceFilterProgram(PRIVILEGED_DEVICE_RULES)]);
  });

  test("update with devices attaches the new filter before detaching the old; one stays; other updates leave it", () => {
    v2Host();
    const cg = cgroupManager("c1", { sys, root });
    cg.create({});
    const first = attached()[0]!.program.id;
    sys.reset();
    cg.update({ pidsLimit: 5 });
    expect(sys.calls).toEqual([]);
    cg.update({ devices: ["a *:* rwm"] });
    expect(sys.callNames()).toEqual(["openat", "bpfProgQuery", "bpfProgLoad", "bpfProgAttach", "bpfProgGetFdById", "bpfProgDetach", "close", "close", "close"]);
    expect(sys.callsOf("bpfProgGetFdById")).toEqual([{ id: first }]);
    expect(attached().map((a) => a.program.insns)).toEqual([deviceFilterProgram(["a *:* rwm"])]);
    cg.update({ devices: [...DEFAULT_DEVICE_RULES] });
    expect(attached().map((a) => a.program.insns)).toEqual([deviceFilterProgram(DEFAULT_DEVICE_RULES)]);
    expect(sys.fds.size).toBe(0);
  });

  test("a refused attach fails create with bpf, the path and errno named, and removes the dir", () => {
    v2Host();
    sys.failNext("bpfProgAttach", Errno.EPERM);
    const cg = cgroupManager("c1", { sys, root });
    let err: unknown;
    try {
      cg.create({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CgroupError);
    expect((err as CgroupError).message).toBe(`cgroup: device filter for \`${dir()}\`: bpf(BPF_PROG_ATTACH): EPERM (operation not permitted)`);
    expect((err as CgroupError).code).toBe("EPERM");
    expect((err as CgroupError).path).toBe(dir());
    expect(existsSync(dir())).toBe(false);
    expect(sys.fds.size).toBe(0);
  });

  test("a refused load fails create the same way", () => {
    v2Host();
    sys.failNext("bpfProgLoad", Errno.EINVAL);
    expect(() => cgroupManager("c1", { sys, root }).create({})).toThrow(`device filter for \`${dir()}\`: bpf(BPF_PROG_LOAD): EINVAL`);
    expect(existsSync(dir())).toBe(false);
  });

  test("a bad rule is refused before anything is made", () => {
    v2Host();
    const cg = cgroupManager("c1", { sys, root });
    expect(() => cg.create({ memory: 64 << 20, devices: ["c 1:3 rwx"] })).toThrow('invalid device cgroup rule "c 1:3 rwx"');
    expect(existsSync(join(dir(), "memory.max"))).toBe(false);
    expect(sys.calls).toEqual([]);
  });
});
