/**
 * stop and kill. Both mark the container manually stopped first, so its supervisor does not restart it
 * (Docker cancels the restart manager for `docker stop` and `docker kill`). Signals go to PID 1 only
 * after its start time is checked; stop escalates to SIGKILL for the whole cgroup after the timeout.
 */
import { ConflictError, NotFoundError } from "../../errors.ts";
import { isAlive, signalIfSame, waitGone } from "./procs.ts";
import { cleanupRuntime, refresh } from "./refresh.ts";
import { cgroupOf } from "./resources.ts";
import { DEFAULT_STOP_TIMEOUT, SIGKILL, signalNumber } from "./signals.ts";
import { viewOf, type ContainerView } from "./status.ts";
import { updateState } from "./store.ts";
import { can } from "./types.ts";

export async function stopContainer(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
  const v = await refresh(ref);
  if (!can.stop(v.status)) return; // Docker: stopping a stopped container succeeds
  const sig = signalNumber(signal ?? v.record.Config.StopSignal);
  const timeout = timeoutSec ?? v.record.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
  updateState(v.id, (s) => void (s.ManuallyStopped = true));
  const live = v.live;
  if (live && isAlive(live.Pid, live.PidStart)) {
    if (timeout !== 0) signalIfSame(live.Pid, live.PidStart, sig);
    if (v.status === "paused") await thaw(v.id);
    const gone = timeout < 0 ? await waitGone(live.Pid, live.PidStart, 2 ** 31) : await waitGone(live.Pid, live.PidStart, timeout * 1000);
    if (!gone) await killAll(v);
  }
  await awaitRecorded(v.id);
}

export async function killContainer(ref: string, signal?: string): Promise<void> {
  const v = await refresh(ref).catch((e: unknown) => {
    // Docker's API wraps every kill failure, a missing container too: "cannot kill container: x: No such container: x"
    if (e instanceof NotFoundError) e.message = `Error response from daemon: cannot kill container: ${ref}: No such container: ${ref}`;
    throw e;
  });
  if (!can.kill(v.status)) throw new ConflictError(`Error response from daemon: cannot kill container: ${ref}: container ${v.id} is not running`);
  const sig = signalNumber(signal, SIGKILL);
  updateState(v.id, (s) => void (s.ManuallyStopped = true));
  const live = v.live;
  if (v.status === "restarting" || !live) return;
  if (sig === SIGKILL) {
    await killAll(v);
    await awaitRecorded(v.id);
    return;
  }
  if (!signalIfSame(live.Pid, live.PidStart, sig))
    throw new ConflictError(`Error response from daemon: cannot kill container: ${ref}: container ${v.id} is not running`);
}

/** SIGKILL to every task in the cgroup (a frozen cgroup is thawed so the kill is delivered) */
async function killAll(v: ContainerView): Promise<void> {
  const live = v.live!;
  signalIfSame(live.Pid, live.PidStart, SIGKILL);
  try {
    const cg = await cgroupOf(v.id);
    for (const pid of cg.pids()) {
      try {
        process.kill(pid, SIGKILL);
      } catch {}
    }
    await thaw(v.id);
  } catch {}
  await waitGone(live.Pid, live.PidStart, 5000);
}

async function thaw(id: string): Promise<void> {
  try {
    const cg = await cgroupOf(id);
    await cg.thaw();
  } catch {}
}

/**
 * After PID 1 is gone, its supervisor records the exit. Waits for that; if the supervisor is gone too
 * (killed), the caller finishes its job instead.
 */
export async function awaitRecorded(id: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    const v = viewOf(id);
    if (!v) return;
    // stale: nobody is left to record the exit (supervisor killed, attached CLI gone): we do it
    if (v.stale || (!v.supervised && !v.running && v.state.Status === "running") || (Date.now() > deadline && !v.running)) {
      await cleanupRuntime(id);
      updateState(id, (s) => {
        if (s.Status === "running" || s.Status === "paused" || s.Status === "restarting") {
          s.Status = "exited";
          s.ExitCode = s.ExitCode || 137;
          s.FinishedAt = new Date().toISOString();
        }
      });
      return;
    }
    if (v.status !== "running" && v.status !== "paused" && v.status !== "restarting") return;
    // a supervisor restarting it just as the stop came in: that new run is killed at once
    if (v.running && v.live && v.live.Pid !== 0 && v.state.ManuallyStopped) signalIfSame(v.live.Pid, v.live.PidStart, SIGKILL);
    if (Date.now() > deadline) {
      await cleanupRuntime(id);
      continue;
    }
    await Bun.sleep(delay);
  }
}
