/**
 * update: new limits written to the running container's cgroup and to its record, so the next start
 * uses them too. Validation is the cgroup layer's (Docker's rules and messages), for a stopped
 * container too: `update -m 1k` fails now, not at the next start.
 */
import { ConflictError, DAEMON } from "../../errors.ts";
import { refresh } from "./refresh.ts";
import { applyUpdate, cgroupOf } from "./resources.ts";
import { saveRecord } from "./store.ts";
import { withLock } from "./files.ts";
import type { HostConfig } from "./types.ts";

export async function updateContainer(ref: string, u: Partial<HostConfig>): Promise<string[]> {
  const v = await refresh(ref);
  if (u.RestartPolicy && u.RestartPolicy.Name !== "no" && v.record.HostConfig.AutoRemove)
    throw new ConflictError(`${DAEMON}Cannot update container ${v.id}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
  const rec = v.record;
  const delta = applyUpdate(rec.HostConfig, u);
  let warnings: string[] = [];
  if (Object.keys(delta).length > 0) {
    const cg = await cgroupOf(v.id);
    if (v.status === "running" || v.status === "paused") warnings = cg.update(delta);
    else {
      const { validateResources } = await import("../../runtime/cgroups/validate.ts");
      warnings = validateResources(delta, cg.sysInfo(), true).warnings;
    }
  }
  withLock("containers", () => saveRecord(rec));
  return warnings;
}
