/**
 * The restart loop of a detached container (Docker's container monitor): start, wait for the exit,
 * ask the restart manager, sleep the back-off (in short steps, so a `stop` during the back-off is seen
 * at once), start again. The container-specific work is behind `SupervisorHooks`.
 */
import { RestartManager, type Policy } from "./backoff.ts";

export interface RunExit {
  exitCode: number;
  ranMs: number;
}

export interface SupervisorHooks {
  policy: Policy;
  restartCount: number;
  /** starts one run; resolves with its pid once PID 1 is running, and a promise of its exit */
  start(): Promise<{ pid: number; exited: Promise<RunExit> }>;
  /** the user stopped/killed/removed the container: no restart */
  manuallyStopped(): boolean;
  /** records the exit; `restarting` tells whether another run follows (and the new RestartCount) */
  recordExit(exit: RunExit, restarting: boolean, restartCount: number): void;
  onStartError(err: unknown, first: boolean): void;
  onStarted(pid: number, first: boolean): void;
}

export async function superviseLoop(h: SupervisorHooks): Promise<void> {
  const rm = new RestartManager(h.policy, h.restartCount);
  for (let first = true; ; first = false) {
    let run: { pid: number; exited: Promise<RunExit> };
    try {
      run = await h.start();
    } catch (err) {
      h.onStartError(err, first);
      return;
    }
    h.onStarted(run.pid, first);
    const exit = await run.exited;
    const delay = rm.next(exit.exitCode, h.manuallyStopped(), exit.ranMs);
    h.recordExit(exit, delay !== null, rm.restartCount);
    if (delay === null) return;
    const until = Date.now() + delay;
    while (Date.now() < until) {
      if (h.manuallyStopped()) {
        h.recordExit(exit, false, rm.restartCount);
        return;
      }
      await Bun.sleep(Math.min(100, until - Date.now()));
    }
    if (h.manuallyStopped()) {
      h.recordExit(exit, false, rm.restartCount);
      return;
    }
  }
}
