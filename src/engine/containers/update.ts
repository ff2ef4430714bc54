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
    if (v.status === "running" || v.status === "paused") cg.update(delta);
  }
  applyUpdate(rec.HostConfig, u);
  withLock("containers", () => saveRecord(rec));
  return warnings;
}
