/**
 * system boot: after a reboot (empty run dir) containers whose policy is `always`, or `unless-stopped`
 * and not stopped by the user, are started again, like dockerd does when it comes up. Meant to be run
 * once by a systemd unit at boot; running it again is harmless (running containers are skipped).
 */
import { startDetached } from "./start.ts";
import { refresh } from "./refresh.ts";
import { repairOrphans } from "./orphans.ts";
import { listIds } from "./store.ts";

export interface BootResult {
  started: string[];
  failed: Array<{ id: string; error: string }>;
  /** ids whose orphaned cgroups/mounts (no record: a crash mid-start or mid-rm) were removed */
  repaired: string[];
}

export async function bootContainers(): Promise<BootResult> {
  // first, so a restarted container never competes with leftovers of a crashed run
  const out: BootResult = { started: [], failed: [], repaired: (await repairOrphans()).repaired };
  for (const id of listIds()) {
    let v;
    try {
      v = await refresh(id);
    } catch {
      continue;
    }
    const p = v.record.HostConfig.RestartPolicy.Name;
    const want = p === "always" || (p === "unless-stopped" && !v.state.ManuallyStopped);
    if (!want || v.status === "running" || v.status === "paused" || v.status === "restarting") continue;
    try {
      await startDetached(id);
      out.started.push(id);
    } catch (e) {
      out.failed.push({ id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}
