/**
 * Docker's resource checks (moby daemon_unix.go verifyPlatformContainerResources and
 * adaptContainerSettings), with Docker's exact messages: users search for these strings.
 * Errors throw CgroupError; things the kernel cannot do become warnings and the value is dropped.
 */
import { CgroupError, type CgroupSysInfo, type Resources } from "./types.ts";

/** Docker's linuxMinMemory */
export const MIN_MEMORY = 6 * 1024 * 1024;
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262144;
/** the CFS period Docker uses for --cpus */
export const DEFAULT_CPU_PERIOD = 100000;

/** "0-2,4" -> [0,1,2,4]; null when malformed */
export function parseCpuList(list: string): number[] | null {
  const out: number[] = [];
  if (list.trim() === "") return out;
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) return null;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function checkList(value: string | undefined, available: string, kind: "cpus" | "mems", label: string): void {
  if (value === undefined || value === "") return;
  const want = parseCpuList(value);
  if (want === null) throw new CgroupError(`Invalid value ${value} for cpuset ${kind}: invalid format: ${value}`);
  const have = new Set(parseCpuList(available) ?? []);
  if (want.some((n) => !have.has(n))) {
    throw new CgroupError(`Requested ${label} are not available - requested ${value}, available: ${available}`);
  }
}

/**
 * Docker's create-time defaults: --memory without --memory-swap allows as much swap as memory
 * (MemorySwap = 2 × Memory), which is also what `inspect` shows in HostConfig.MemorySwap.
 */
export function normalizeResources(r: Resources): Resources {
  const out = { ...r };
  if ((out.memory ?? 0) > 0 && (out.memorySwap ?? 0) === 0) out.memorySwap = out.memory! * 2;
  return out;
}

/**
 * Validate `r` against `info`; returns the values to apply (unsupported ones dropped) and Docker's
 * warnings. `update` relaxes the "memory-swap needs memory" rule as Docker does for `docker update`.
 */
export function validateResources(
  input: Resources,
  info: CgroupSysInfo,
  update = false,
): { resources: Resources; warnings: string[] } {
  const r: Resources = { ...input };
  const warnings: string[] = [];
  const memory = r.memory ?? 0;

  if (memory !== 0 && memory < MIN_MEMORY) throw new CgroupError("Minimum memory limit allowed is 6MB");
  if (memory > 0 && !info.memoryLimit) {
    warnings.push("Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.");
    delete r.memory;
    r.memorySwap = -1;
  }
  if ((r.memory ?? 0) > 0 && r.memorySwap !== undefined && r.memorySwap !== -1 && !info.swapLimit) {
    warnings.push("Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.");
    r.memorySwap = -1;
  }
  const mem = r.memory ?? 0;
  const swap = r.memorySwap ?? 0;
  if (mem > 0 && swap > 0 && swap < mem) {
    throw new CgroupError("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (mem === 0 && swap > 0 && !update) {
    throw new CgroupError("You should always set the Memory limit when using Memoryswap limit, see usage");
  }
  if ((r.memoryReservation ?? 0) > 0 && !info.memoryReservation) {
    warnings.push("Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.");
    delete r.memoryReservation;
  }
  const resv = r.memoryReservation ?? 0;
  if (resv > 0 && resv < MIN_MEMORY) throw new CgroupError("Minimum memory reservation allowed is 6MB");
  if (mem > 0 && resv > 0 && mem < resv) {
    throw new CgroupError("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  if (r.pidsLimit !== undefined && !info.pidsLimit) {
    if (r.pidsLimit > 0) {
      warnings.push("Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.");
    }
    delete r.pidsLimit;
  }

  const nano = r.nanoCpus ?? 0;
  if (nano > 0 && (r.cpuPeriod ?? 0) > 0) throw new CgroupError("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nano > 0 && (r.cpuQuota ?? 0) > 0) throw new CgroupError("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (nano > 0 && !info.cpuCfs) {
    throw new CgroupError("NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted");
  }
  if (nano !== 0 && (nano < 0 || nano > info.numCpu * 1e9)) {
    throw new CgroupError(`range of CPUs is from 0.01 to ${info.numCpu}.00, as there are only ${info.numCpu} CPUs available`);
  }
  if ((r.cpuShares ?? 0) < 0) throw new CgroupError(`invalid CPU shares (${r.cpuShares}): value must be a positive integer`);
  if ((r.cpuShares ?? 0) > 0 && !info.cpuShares) {
    warnings.push("Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.");
    delete r.cpuShares;
  }
  if (((r.cpuPeriod ?? 0) !== 0 || (r.cpuQuota ?? 0) !== 0) && !info.cpuCfs) {
    warnings.push("Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.");
    delete r.cpuPeriod;
    delete r.cpuQuota;
  }
  const period = r.cpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw new CgroupError("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  if ((r.cpuQuota ?? 0) > 0 && r.cpuQuota! < 1000) throw new CgroupError("CPU cfs quota can not be less than 1ms (i.e. 1000)");

  if ((r.cpusetCpus || r.cpusetMems) && !info.cpuset) {
    warnings.push("Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.");
    delete r.cpusetCpus;
    delete r.cpusetMems;
  }
  checkList(r.cpusetCpus, info.cpus, "cpus", "CPUs");
  checkList(r.cpusetMems, info.mems, "mems", "memory nodes");
  return { resources: r, warnings };
}

/** --cpus → CFS quota for a 100 ms period (Docker: quota = nano × period / 1e9). */
export function cfsFromResources(r: Resources): { period?: number; quota?: number } {
  if ((r.nanoCpus ?? 0) > 0) {
    return { period: DEFAULT_CPU_PERIOD, quota: Math.round((r.nanoCpus! * DEFAULT_CPU_PERIOD) / 1e9) };
  }
  const out: { period?: number; quota?: number } = {};
  if (r.cpuPeriod !== undefined && r.cpuPeriod !== 0) out.period = r.cpuPeriod;
  if (r.cpuQuota !== undefined && r.cpuQuota !== 0) out.quota = r.cpuQuota;
  return out;
}

/** runc's v1 shares → v2 weight mapping: [2, 262144] → [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  const s = Math.min(Math.max(shares, MIN_CPU_SHARES), MAX_CPU_SHARES);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** "max" or the number, for v2 files; 0/-1/undefined mean unlimited where Docker says so. */
export function maxOr(n: number | undefined): string {
  return n === undefined || n <= 0 ? "max" : String(n);
}
