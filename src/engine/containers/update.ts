/**
 * update: new limits written to the running container's cgroup and to its record, so the next start
 * uses them too. Validation is the cgroup layer's (Docker's rules and messages).
 */
import { refresh } from "./refresh.ts";
import { applyUpdate, cgroupOf } from "./resources.ts";
import { saveRecord } from "./store.ts";
import { withLock } from "./files.ts";
import type { HostConfig } from "./types.ts";

export async function updateContainer(ref: string, u: Partial<HostConfig>): Promise<string[]> {
  const v = await refresh(ref);
  if (u.RestartPolicy && u.RestartPolicy.Name !== "no" && v.record.HostConfig.AutoRemove)
    throw new Error("Restart policy cannot be updated because AutoRemove is enabled for the container");
  const rec = v.record;
  const delta = applyUpdate(rec.HostConfig, u);
  let warnings: string[] = [];
  if ((v.status === "running" || v.status === "paused") && Object.keys(delta).length > 0) {
    const cg = await cgroupOf(v.id);
    warnings = cg.update(delta);
  }
  withLock("containers", () => saveRecord(rec));
  return warnings;
}
