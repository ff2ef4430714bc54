/**
 * update: new limits written to the running container's cgroup and to its record, so the next start
 * uses them too. Validation is the cgroup layer's (Docker's rules and messages), for a stopped
 * container too: `update -m 1k` fails now, not at the next start.
 */
import { ConflictError, DAEMON } from "../../errors.ts";
import { discardedLimits } from "./limits.ts";
import { refresh } from "./refresh.ts";
import { applyUpdate, cgroupOf } from "./resources.ts";
import { saveRecord } from "./store.ts";
import { withLock } from "./files.ts";
import type { HostConfig } from "./types.ts";

export async function updateContainer(ref: string, asked: Partial<HostConfig>): Promise<string[]> {
  const v = await refresh(ref);
  if (asked.RestartPolicy && asked.RestartPolicy.Name !== "no" && v.record.HostConfig.AutoRemove)
    throw new ConflictError(`${DAEMON}Cannot update container ${v.id}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
  const rec = v.record;
  const u = { ...asked };
  const delta = applyUpdate({ ...rec.HostConfig }, u);
  let warnings: string[] = [];
  if (Object.keys(delta).length > 0) {
    const cg = await cgroupOf(v.id);
    const { validateResources } = await import("../../runtime/cgroups/validate.ts");
    const checked = validateResources(delta, cg.sysInfo(), true);
    warnings = checked.warnings;
    // Docker's update stores only what its checks kept: a discarded limit leaves the record's value as
    // it was (the request's field reads as unset), except MemorySwap, stored as -1 (unlimited)
    for (const [k, value] of Object.entries(discardedLimits(delta, checked.resources)) as Array<[keyof HostConfig, unknown]>) {
      if (k === "MemorySwap") u.MemorySwap = value as number;
      else delete u[k];
    }
    // after the discards: a memory limit the host cannot apply is not checked against the swap limit
    keepSwapAbove(v.id, rec.HostConfig, u);
    if (v.status === "running" || v.status === "paused") cg.update(delta);
  }
  applyUpdate(rec.HostConfig, u);
  withLock("containers", () => saveRecord(rec));
  return warnings;
}

/**
 * Docker's rule for -m without --memory-swap: the swap limit already set stays (a run with -m alone
 * has 2x memory, which the record leaves implicit as 0), so a memory limit above it is refused rather
 * than silently making memory+swap smaller than memory.
 */
function keepSwapAbove(id: string, hc: HostConfig, u: Partial<HostConfig>): void {
  if (!u.Memory || u.MemorySwap) return;
  const swap = hc.MemorySwap !== 0 ? hc.MemorySwap : hc.Memory > 0 ? hc.Memory * 2 : 0;
  if (swap !== 0 && u.Memory > swap) {
    throw new ConflictError(
      `${DAEMON}Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`,
    );
  }
  // the implicit 2x belonged to the old memory limit: written down, it stays what the cgroup has
  if (hc.MemorySwap === 0 && swap !== 0) hc.MemorySwap = swap;
}
