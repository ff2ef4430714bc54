/**
 * rm and container prune. `rm -f` works from the id alone: kill through the cgroup, kill a hung
 * supervisor, unmount, delete the cgroup dirs, the run dir and the record, in that order, so a crash
 * halfway leaves something a second `rm -f` finishes.
 */
import { ConflictError } from "../../errors.ts";
import { removeAnonymousVolumes } from "../mounts/index.ts";
import { dropVolumeClaim } from "../volumes/index.ts";
import { cleanupRuntime, refresh } from "./refresh.ts";
import { duBytes } from "./list.ts";
import { viewOf } from "./status.ts";
import { procStartTime } from "./procs.ts";
import { killContainer } from "./stop.ts";
import { deleteRecord, listIds, loadRecord, updateState } from "./store.ts";
import { can } from "./types.ts";

/**
 * `rm -f` is also the user's way to clean up after a crash: orphans (cgroups, mounts of ids without a
 * record) go too, once per process. Not for an --rm container's own removal (run's timed path).
 */
let repair: Promise<unknown> | undefined;
const repairOnce = () => (repair ??= import("./orphans.ts").then((m) => m.repairOrphans()).catch(() => {}));

export async function removeContainer(ref: string, force = false, volumes = false): Promise<string> {
  let v;
  try {
    v = await refresh(ref);
  } catch (e) {
    if (force) await repairOnce();
    throw e;
  }
  if (force && !v.record.HostConfig.AutoRemove) await repairOnce();
  if (!can.remove(v.status)) {
    if (!force) {
      const what = v.status === "paused" ? "a paused" : v.status === "restarting" ? "a restarting" : "a running";
      throw new ConflictError(
        `Error response from daemon: cannot remove container "${v.record.Name}": container is ${what.slice(2)}: stop the container before removing or force remove`,
      );
    }
    const self = { Pid: process.pid, Start: procStartTime(process.pid) ?? 0 };
    updateState(v.id, (s) => void ((s.ManuallyStopped = true), (s.Removing = true), (s.RemovingBy = self)));
    try {
      await killContainer(v.id, "KILL");
    } catch {}
  }
  await cleanupRuntime(v.id);
  deleteRecord(v.id);
  // the volumes' claim by this container ends with it; -v (and --rm) also delete its anonymous ones
  if (volumes) removeAnonymousVolumes(v.record.Mounts, v.id);
  else dropVolumeClaim(v.id);
  return v.id;
}

/**
 * `run --rm` in the foreground, once its session has finished: this process saw PID 1 exit, removed
 * its cgroup and released its volumes (session.ts), and its mounts lived in init's mount namespace
 * only. So nothing is left to stop, thaw or unmount: the record, the RW layer and the anonymous
 * volumes go (removeContainer's checks would cost the run ~2 ms for nothing).
 */
export function removeFinishedRun(id: string): void {
  const rec = loadRecord(id);
  if (!rec) return;
  deleteRecord(id);
  removeAnonymousVolumes(rec.Mounts, id);
}

/** removes every stopped container; returns the ids removed and the bytes their RW layers held */
export async function pruneContainers(filter?: (id: string) => boolean): Promise<{ removed: string[]; reclaimed: number }> {
  await repairOnce();
  const removed: string[] = [];
  let reclaimed = 0;
  for (const id of listIds()) {
    const v = viewOf(id);
    if (!v || !can.remove(v.status) || (filter && !filter(id))) continue;
    const size = duBytes(v.record.GraphDriver.Data.UpperDir ?? "");
    try {
      await removeContainer(id);
      removed.push(id);
      reclaimed += size;
    } catch {}
  }
  return { removed, reclaimed };
}
