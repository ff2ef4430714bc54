/** pause/unpause through the cgroup freezer (v1 freezer.state, v2 cgroup.freeze). */
import { ConflictError } from "../../errors.ts";
import { refresh } from "./refresh.ts";
import { cgroupOf } from "./resources.ts";
import { updateState } from "./store.ts";
import { can } from "./types.ts";
import { procStartTime } from "./procs.ts";

/**
 * `forUs`: a pause this process undoes itself (commit's read): recorded with our pid and start time so
 * that, if we are killed before unpausing, the next refresh thaws the container (refresh.ts).
 */
export async function pauseContainer(ref: string, forUs = false): Promise<void> {
  const v = await refresh(ref);
  if (v.status === "paused") throw new ConflictError(`Error response from daemon: container ${v.id} is already paused`);
  if (!can.pause(v.status)) throw new ConflictError(`Error response from daemon: container ${v.id} is not running`);
  const cg = await cgroupOf(v.id);
  // on record first: a kill between the freeze and the state write must still be repaired
  const owner = forUs ? { Pid: process.pid, Start: procStartTime(process.pid) ?? 0 } : undefined;
  if (owner) updateState(v.id, (s) => void (s.PausedBy = owner));
  await cg.freeze();
  updateState(v.id, (s) => void (s.Status === "running" && (s.Status = "paused")));
}

export async function unpauseContainer(ref: string): Promise<void> {
  const v = await refresh(ref);
  if (!can.unpause(v.status)) throw new ConflictError(`Error response from daemon: container ${v.id} is not paused`);
  const cg = await cgroupOf(v.id);
  await cg.thaw();
  updateState(v.id, (s) => {
    if (s.Status === "paused") s.Status = "running";
    delete s.PausedBy;
  });
}
