/**
 * HostConfig ⇄ cgroup Resources, and the cgroup manager of one container. The cgroup lives under a
 * "bunker" parent in every hierarchy, named by the container id, so `rm -f` can always find what is
 * left of a container from its id alone, even when every process that knew about it was killed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CgroupManager, Resources } from "../../runtime/cgroups/types.ts";
import { deviceRulesOf } from "./devices.ts";
import type { HostConfig } from "./types.ts";

/**
 * BUNKER_CGROUP_ROOT picks the cgroupfs and with it the cgroup version (runtime/cgroups
 * detectCgroupVersion): a cgroup2 directory means v2, so on a hybrid host
 * BUNKER_CGROUP_ROOT=/sys/fs/cgroup/unified runs containers the way a pure v2 host does (the e2e tests of
 * the v2 path use this); a directory of v1 hierarchies means v1. Anything else fails `start` with one
 * line instead of running the container in no cgroup. BUNKER_CGROUP_PARENT names the dir under it that
 * holds the containers' cgroups (tests use their own, apart from the engine's "bunker").
 */
export const CGROUP_ROOT = process.env.BUNKER_CGROUP_ROOT || "/sys/fs/cgroup";
export const CGROUP_PARENT = process.env.BUNKER_CGROUP_PARENT || "bunker";

export function resourcesOf(hc: HostConfig): Resources {
  const r: Resources = {};
  if (hc.Memory) r.memory = hc.Memory;
  if (hc.MemorySwap) r.memorySwap = hc.MemorySwap;
  if (hc.MemoryReservation) r.memoryReservation = hc.MemoryReservation;
  if (hc.CpuShares) r.cpuShares = hc.CpuShares;
  if (hc.NanoCpus) r.nanoCpus = hc.NanoCpus;
  if (hc.CpuPeriod) r.cpuPeriod = hc.CpuPeriod;
  if (hc.CpuQuota) r.cpuQuota = hc.CpuQuota;
  if (hc.CpusetCpus) r.cpusetCpus = hc.CpusetCpus;
  if (hc.CpusetMems) r.cpusetMems = hc.CpusetMems;
  if (hc.PidsLimit !== null && hc.PidsLimit !== 0) r.pidsLimit = hc.PidsLimit;
  if (hc.Privileged) r.devices = ["a *:* rwm"];
  else if (hc.Devices?.length || hc.DeviceCgroupRules?.length) r.devices = deviceRulesOf(hc);
  return r;
}

/** the cgroup manager of container `id`; loaded lazily so `ps` never pays for it */
export async function cgroupOf(id: string): Promise<CgroupManager> {
  const { cgroupManager } = await import("../../runtime/cgroups/index.ts");
  return cgroupManager(id, { root: CGROUP_ROOT, parent: CGROUP_PARENT });
}

let v2: boolean | undefined;

/**
 * Whether container `id`'s cgroup is frozen, read straight from cgroupfs (one small file, without
 * loading the cgroup module: `ps` pays ~10 µs per running container). The freezer, not state.json, is
 * the truth about paused: a pause or unpause killed between its freezer write and its state write
 * still reads as what it is. FREEZING counts as frozen (the kernel finishes it without us). null when
 * there is no freezer file to ask (no cgroup yet, or already removed).
 */
export function cgroupFrozen(id: string): boolean | null {
  // the same test as runtime/cgroups detectCgroupVersion: a cgroup2 root has cgroup.controllers
  v2 ??= existsSync(join(CGROUP_ROOT, "cgroup.controllers"));
  try {
    if (v2) return readFileSync(join(CGROUP_ROOT, CGROUP_PARENT, id, "cgroup.freeze"), "utf8").trim() === "1";
    return readFileSync(join(CGROUP_ROOT, "freezer", CGROUP_PARENT, id, "freezer.state"), "utf8").trim() !== "THAWED";
  } catch {
    return null;
  }
}

/** applies `update` flags to the stored HostConfig; returns the Resources delta for the live cgroup */
export function applyUpdate(hc: HostConfig, u: Partial<HostConfig>): Resources {
  const delta: Resources = {};
  if (u.Memory !== undefined) (hc.Memory = u.Memory), (delta.memory = u.Memory);
  if (u.MemorySwap !== undefined) (hc.MemorySwap = u.MemorySwap), (delta.memorySwap = u.MemorySwap);
  if (u.MemoryReservation !== undefined) (hc.MemoryReservation = u.MemoryReservation), (delta.memoryReservation = u.MemoryReservation);
  if (u.CpuShares !== undefined) (hc.CpuShares = u.CpuShares), (delta.cpuShares = u.CpuShares);
  if (u.NanoCpus !== undefined) (hc.NanoCpus = u.NanoCpus), (delta.nanoCpus = u.NanoCpus);
  if (u.CpuPeriod !== undefined) (hc.CpuPeriod = u.CpuPeriod), (delta.cpuPeriod = u.CpuPeriod);
  if (u.CpuQuota !== undefined) (hc.CpuQuota = u.CpuQuota), (delta.cpuQuota = u.CpuQuota);
  if (u.CpusetCpus !== undefined) (hc.CpusetCpus = u.CpusetCpus), (delta.cpusetCpus = u.CpusetCpus);
  if (u.CpusetMems !== undefined) (hc.CpusetMems = u.CpusetMems), (delta.cpusetMems = u.CpusetMems);
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) (hc.PidsLimit = u.PidsLimit), (delta.pidsLimit = u.PidsLimit);
  if (u.RestartPolicy !== undefined) hc.RestartPolicy = u.RestartPolicy;
  return delta;
}
