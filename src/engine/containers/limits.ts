/**
 * The limits Docker's daemon gives up on a host without their controller: verifyPlatformContainerResources
 * warns ("... Limitation discarded.") and zeroes them in the HostConfig it goes on to store, so `inspect`
 * shows what is applied, not what was asked.
 */
import type { Resources } from "../../runtime/cgroups/types.ts";
import type { HostConfig } from "./types.ts";

/**
 * The HostConfig fields `asked` set and the cgroup layer's validateResources dropped (`applied` is its
 * result), at their unset values; MemorySwap is -1 where the memory or swap limit went.
 */
export function discardedLimits(asked: Resources, applied: Resources): Partial<HostConfig> {
  const out: Partial<HostConfig> = {};
  const gone = (k: keyof Resources) => asked[k] !== undefined && applied[k] === undefined;
  if (gone("memory")) out.Memory = 0;
  if (applied.memorySwap === -1 && asked.memorySwap !== -1) out.MemorySwap = -1;
  if (gone("memoryReservation")) out.MemoryReservation = 0;
  if (gone("cpuShares")) out.CpuShares = 0;
  if (gone("cpuPeriod")) out.CpuPeriod = 0;
  if (gone("cpuQuota")) out.CpuQuota = 0;
  if (gone("cpusetCpus")) out.CpusetCpus = "";
  if (gone("cpusetMems")) out.CpusetMems = "";
  if (gone("pidsLimit")) out.PidsLimit = null;
  return out;
}
