/**
 * cgroup v2 manager on fixture directories (youki's set_fixture pattern): the tempdir plays the
 * cgroupfs, pre-made files play the kernel's control files, and the test reads back what was written.
 */
import { describe, expect, test } from "bun:test";
import { put, read, root, useCgroupFixture } from "../helpers/cgroup-fixture.ts";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupManager } from "../../src/runtime/cgroups/index.ts";

useCgroupFixture();

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
    const cg = cgroupManager("c1", { root, numCpu: 4 });
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
    cgroupManager("c1", { root }).create({ memory: 64 << 20 });
    expect(read("bunker/c1/memory.swap.max")).toBe(String(64 << 20));
    cgroupManager("c1", { root }).update({ memory: 64 << 20, memorySwap: -1 });
    expect(read("bunker/c1/memory.swap.max")).toBe("max");
  });

  test("cpu.max: quota alone keeps the period; unlimited quota; pids -1", () => {
    v2Host();
    const cg = cgroupManager("c1", { root });
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
    const cg = cgroupManager("c1", { root });
    const w = cg.create({ memory: 64 << 20, cpuShares: 512, pidsLimit: 10 });
    expect(w[0]).toBe("Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.");
    expect(read("bunker/cgroup.subtree_control")).toBe("+cpu +pids");
    expect(existsSync(join(root, "bunker/c1/memory.max"))).toBe(false);
    expect(read("bunker/c1/pids.max")).toBe("10");
  });

  test("hybrid host: version 2 means the unified mount", () => {
    v1Host();
    put({ "unified/cgroup.controllers": "", "unified/cgroup.subtree_control": "" });
    const cg = cgroupManager("c1", { root, version: 2 });
    expect(cg.paths.unified).toBe(join(root, "unified/bunker/c1"));
    expect(cg.create({})).toEqual([]);
    expect(existsSync(join(root, "unified/bunker/c1"))).toBe(true);
  });

  test("freeze waits for cgroup.events frozen 1; a stuck freeze is undone", async () => {
    v2Host();
    const cg = cgroupManager("c1", { root, timeoutMs: 100 });
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

  test("stats, oomKilled, destroy", async () => {
    v2Host();
    const killed: number[] = [];
    const cg = cgroupManager("c1", {
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
