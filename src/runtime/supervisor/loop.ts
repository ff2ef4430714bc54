/**
 * The restart loop of a detached container (Docker's container monitor): start, wait for the exit,
 * ask the restart manager, sleep the back-off (in short steps, so a `stop` during the back-off is seen
 * at once), start again. The container-specific work is behind `SupervisorHooks`.
 *
 * The supervisor may re-exec itself while a run is going (into its small idle mode and back): the loop
 * then resumes with that run's exit and the restart manager's state instead of starting a run.
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
  /** the restart manager is passed so a hand-off to the idle mode can carry its back-off along */
  onStarted(pid: number, first: boolean, rm: RestartManager): void;
}

/** a run that was started before this process image: its exit, and the back-off then current */
export interface Resumed {
  exited: Promise<RunExit>;
  backoffMs: number;
}

export async function superviseLoop(h: SupervisorHooks, resumed?: Resumed): Promise<void> {
  const rm = new RestartManager(h.policy, h.restartCount, resumed?.backoffMs ?? 0);
  for (let first = resumed === undefined; ; first = false) {
    let exited: Promise<RunExit>;
    if (resumed) {
      exited = resumed.exited;
      resumed = undefined;
    } else {
      let run: { pid: number; exited: Promise<RunExit> };
      try {
        run = await h.start();
      } catch (err) {
        h.onStartError(err, first);
        return;
      }
      h.onStarted(run.pid, first, rm);
      exited = run.exited;
    }
    const exit = await exited;
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
