/** pause/unpause through the cgroup freezer (v1 freezer.state, v2 cgroup.freeze). */
import { ConflictError } from "../../errors.ts";
import { refresh } from "./refresh.ts";
import { cgroupOf } from "./resources.ts";
import { updateState } from "./store.ts";
import { can } from "./types.ts";

export async function pauseContainer(ref: string): Promise<void> {
  const v = await refresh(ref);
  if (v.status === "paused") throw new ConflictError(`Error response from daemon: container ${v.id} is already paused`);
  if (!can.pause(v.status)) throw new ConflictError(`Error response from daemon: container ${v.id} is not running`);
  const cg = await cgroupOf(v.id);
  await cg.freeze();
  updateState(v.id, (s) => void (s.Status === "running" && (s.Status = "paused")));
}

export async function unpauseContainer(ref: string): Promise<void> {
  const v = await refresh(ref);
  if (!can.unpause(v.status)) throw new ConflictError(`Error response from daemon: container ${v.id} is not paused`);
  const cg = await cgroupOf(v.id);
  await cg.thaw();
  updateState(v.id, (s) => void (s.Status === "paused" && (s.Status = "running")));
}
