/**
 * Hidden mode `__supervise <id>`: the per-container supervisor of a detached container. Parent of the
 * container's PID 1 (so it gets the real exit status), writer of its logs, keeper of its restart policy.
 * Reports "started" (or the start error) to the CLI that spawned it, then lives on without a terminal.
 *
 * Once a run has started, the supervisor execs itself into the small idle mode (idle.ts), which copies
 * the output into the log and execs back as `__supervise <id> --resume <json>` when PID 1 has exited;
 * this process image then reaps it and goes on with the restart loop. After a burst of output the
 * idle mode refreshes itself through `__supervise <id> --reidle <json>`, which execs a fresh idle mode
 * at once. Containers with -i or -t stay in this mode for their whole run: their stdin/pty is served
 * through the attach FIFO (attach.ts), which the idle mode does not do; so do containers in the host's
 * pid namespace (see start()). BUNKER_SUPERVISOR_IDLE=0 keeps every container in this mode (for
 * measuring and debugging).
 */
import { closeSync, fstatSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { becomeSupervisor, reportToStarter } from "../../runtime/supervisor/detach.ts";
import { execSelf } from "../../runtime/supervisor/handoff.ts";
import { superviseLoop, type Resumed, type RunExit } from "../../runtime/supervisor/loop.ts";
import type { RestartManager } from "../../runtime/supervisor/backoff.ts";
import { LaunchError } from "../../runtime/errors.ts";
import { selfCommand } from "../../runtime/spawn.ts";
import { O_CLOEXEC } from "../../sys/constants.ts";
import { isUnreapedChild, wait4, WNOHANG } from "../../sys/extra.ts";
import { linuxSys } from "../../sys/linux.ts";
import { DRAIN_MS, IDLE_ENV, pumpFd, type IdleArgs, type ResumeArgs, type RunArgs } from "./idle.ts";
import { JsonLogWriter } from "./logs.ts";
import { finishRun, recordStartError, selfStart, startSession, type Exit, type Session } from "./session.ts";
import { signalIfSame } from "./procs.ts";
import { clearLive, cpaths, loadLive, loadRecord, loadState, updateState, writeLive } from "./store.ts";
import type { ContainerRecord } from "./types.ts";

/** a run whose output is on pipes we made: handed to the idle mode, or pumped here if that cannot be */
interface PipedRun {
  session: Session;
  out: number;
  err: number;
  startedAt: number;
  /** settles once the output pumped in this process (no hand-off) is in the log; the exit waits for it */
  pumped: Promise<unknown>;
  pumpedBy: (pumps: Promise<unknown>) => void;
}

export async function superviseMain(args: string[]): Promise<void> {
  const id = args[0];
  const rec = id ? loadRecord(id) : null;
  if (!id || !rec) {
    reportToStarter({ ok: false, exitCode: 125, message: `No such container: ${id}` });
    process.exit(125);
  }
  const resume = args[1] === "--resume" && args[2] ? (JSON.parse(args[2]) as ResumeArgs) : null;
  const reidle = args[1] === "--reidle" && args[2] ? (JSON.parse(args[2]) as RunArgs) : null;
  becomeSupervisor();
  // on record from the start: a `ps` or `stop` racing the first launch sees a live supervisor (after a
  // re-exec the live file already names us, and the container's PID 1 with us)
  if (!resume && !reidle) writeLive(id, { Pid: 0, PidStart: 0, SupervisorPid: process.pid, SupervisorStart: selfStart() });
  // the host shutting down (SIGTERM to every process) stops the container the way `stop` would
  const forward = (sig: NodeJS.Signals) => () => {
    const live = loadLive(id);
    if (live) signalIfSame(live.Pid, live.PidStart, sig === "SIGTERM" ? 15 : 3);
  };
  process.on("SIGTERM", forward("SIGTERM"));
  process.on("SIGQUIT", forward("SIGQUIT"));

  const state = loadState(id);
  let lastExit: Exit | null = null;
  const toRunExit = (e: Exit): RunExit => ((lastExit = e), { exitCode: e.exitCode, ranMs: e.ranMs });
  let piped: PipedRun | null = null;
  let resumed: Resumed | undefined;
  if (resume) resumed = { backoffMs: resume.backoffMs, exited: resumeRun(rec, resume).then(toRunExit) };
  else if (reidle) {
    // the idle mode refreshing itself (idle.ts): straight into a fresh one, the pipes are fds 0 and 1
    try {
      enterIdle(rec, reidle, 0, 1);
    } catch (err) {
      debug(`no idle mode: ${err instanceof Error ? err.message : String(err)}`);
      resumed = { backoffMs: reidle.backoffMs, exited: watchHere(rec, reidle).then(toRunExit) };
    }
  }
  await superviseLoop(
    {
      policy: { name: rec.HostConfig.RestartPolicy.Name, maxRetries: rec.HostConfig.RestartPolicy.MaximumRetryCount },
      restartCount: state.RestartCount,
      async start() {
        const fresh = loadRecord(id) ?? rec;
        const interactive = fresh.Config.OpenStdin || fresh.Config.Tty;
        // output that may outlive PID 1 (no pid namespace of its own) would keep the idle mode from
        // seeing the exit; bunker has no --pid host yet, so this guards the future
        const idle = !interactive && fresh.HostConfig.PidMode !== "host" && process.env.BUNKER_SUPERVISOR_IDLE !== "0";
        const pipes = idle ? outputPipes() : null;
        let session: Session;
        try {
          session = await startSession(fresh, {
            stdin: fresh.Config.OpenStdin ? "pipe" : "ignore",
            ...(pipes ? { output: { stdout: pipes.out[1], stderr: pipes.err[1] } } : {}),
          });
        } catch (err) {
          if (pipes) closeAll([pipes.out[0], pipes.err[0]]);
          throw err;
        } finally {
          // the container holds the write ends now: EOF comes when its last process is gone
          if (pipes) closeAll([pipes.out[1], pipes.err[1]]);
        }
        // a stop that arrived while this run was being launched
        if (loadState(id).ManuallyStopped) signalIfSame(session.launched.pid, session.launched.startTime, 9);
        if (interactive) {
          // loaded only for -i/-t: a plain detached supervisor never serves attach
          const { serveAttach } = await import("./attach.ts");
          const stopServing = serveAttach(id, session.launched);
          void session.finished.then(stopServing);
        }
        let exited: Promise<RunExit>;
        if (pipes) {
          let pumpedBy!: PipedRun["pumpedBy"];
          const pumped = new Promise<unknown>((r) => (pumpedBy = r));
          const run: PipedRun = (piped = { session, out: pipes.out[0], err: pipes.err[0], startedAt: Date.now(), pumped, pumpedBy });
          exited = session.finished.then(async (e) => {
            await run.pumped;
            closeAll([run.out, run.err]);
            return toRunExit(e);
          });
        } else exited = session.finished.then(toRunExit);
        return { pid: session.launched.pid, exited };
      },
      manuallyStopped: () => loadState(id).ManuallyStopped,
      recordExit(exit, restarting, restartCount) {
        updateState(id, (s) => {
          s.ExitCode = exit.exitCode;
          s.FinishedAt = lastExit?.finishedAt ?? new Date().toISOString();
          s.OOMKilled = lastExit?.oomKilled ?? false;
          s.RestartCount = restartCount;
          s.Status = restarting ? "restarting" : "exited";
        });
      },
      onStartError(err, first) {
        recordStartError(id, err);
        if (first) {
          const code = err instanceof LaunchError || (err as { exitCode?: number })?.exitCode ? (err as { exitCode: number }).exitCode : 125;
          reportToStarter({ ok: false, exitCode: code, message: err instanceof Error ? err.message : String(err) });
        }
      },
      onStarted(pid, first, rm) {
        if (first) reportToStarter({ ok: true, pid });
        const run = piped;
        piped = null;
        if (run) {
          handOff(rec, run, rm);
          return;
        }
        // the start-up garbage (parsed modules, spec JSON, init payload) is the bulk of a full-mode
        // supervisor's private memory: collect it once the container runs
        setTimeout(() => {
          Bun.gc(true);
          Bun.shrink();
        }, 200).unref();
      },
    },
    resumed,
  );
  clearLive(id);
  if (rec.HostConfig.AutoRemove && !loadState(id).Removing) {
    try {
      mkdirSync(dirname(cpaths.exit(id)), { recursive: true, mode: 0o700 });
      writeFileSync(cpaths.exit(id), String(loadState(id).ExitCode));
    } catch {}
    const { removeContainer } = await import("./remove.ts");
    await removeContainer(id, true, true).catch(() => {});
  }
  process.exit(0);
}

function outputPipes(): { out: [number, number]; err: [number, number] } {
  const sys = linuxSys();
  const out = sys.pipe2(O_CLOEXEC);
  try {
    return { out, err: sys.pipe2(O_CLOEXEC) };
  } catch (e) {
    closeAll(out);
    throw e;
  }
}

function closeAll(fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {}
  }
}

/**
 * Execs into the idle mode with the run's pipes and log. Stays here instead (pumping the output in this
 * process) when Bun has already reaped PID 1 (its status would be lost to the idle mode; Bun has it)
 * or when the exec fails. Synchronous from the check to execve: Bun reaps children only from its
 * event loop, so the check stays true.
 */
function handOff(rec: ContainerRecord, run: PipedRun, rm: RestartManager): void {
  const launched = run.session.launched;
  if (!(Bun.peek(launched.wait()) instanceof Promise) || !isUnreapedChild(launched.pid)) return pumpHere(rec, run);
  try {
    enterIdle(rec, { pid: launched.pid, pidStart: launched.startTime, startedAt: run.startedAt, backoffMs: rm.timeout }, run.out, run.err);
  } catch (err) {
    debug(`no idle mode: ${err instanceof Error ? err.message : String(err)}`);
    // fds 0 and 1 may hold the pipes by now: back to /dev/null, as after the report to the starter
    try {
      const nul = openSync("/dev/null", "r+");
      linuxSys().dup3(nul, 0, 0);
      linuxSys().dup3(nul, 1, 0);
      closeSync(nul);
    } catch {}
    pumpHere(rec, run);
  }
}

/**
 * execve into `__idle`: the output pipes become fds 0 and 1 (the ones the idle mode's own re-execs
 * keep) and the log is opened for it. Returns only by throwing (the exec failed).
 */
function enterIdle(rec: ContainerRecord, run: RunArgs, out: number, err: number): never {
  const sys = linuxSys();
  if (out !== 0) sys.dup3(out, 0, 0);
  if (err !== 1) sys.dup3(err, 1, 0);
  const path = cpaths.log(rec.Id);
  const logFd = openSync(path, "a", 0o640);
  try {
    const idle: IdleArgs = {
      id: rec.Id,
      self: selfCommand("__idle").slice(0, -1),
      ...run,
      out: 0,
      err: 1,
      log: { fd: logFd, size: fstatSync(logFd).size, path, maxSize: rec.Bunker.LogMaxSize, maxFiles: rec.Bunker.LogMaxFiles },
    };
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...IDLE_ENV };
    return execSelf([...selfCommand("__idle"), JSON.stringify(idle)], env, [logFd]);
  } catch (e) {
    closeAll([logFd]);
    throw e;
  }
}

function debug(msg: string): void {
  if (process.env.BUNKER_SUPERVISOR_DEBUG) console.error(`bunker: supervisor: ${msg}`);
}

/** the full mode's copy of a run's stdout and stderr pipes into its json log, until both reach EOF */
function logPipes(rec: ContainerRecord, out: number, err: number): { log: JsonLogWriter; pumps: Promise<unknown> } {
  const log = new JsonLogWriter(cpaths.log(rec.Id), rec.Bunker.LogMaxSize, rec.Bunker.LogMaxFiles);
  return { log, pumps: Promise.all([pumpFd(out, (c) => log.write("stdout", c)), pumpFd(err, (c) => log.write("stderr", c))]) };
}

/** the full mode's own copy of the output into the log, for a run that was not handed off */
function pumpHere(rec: ContainerRecord, run: PipedRun): void {
  const { log, pumps } = logPipes(rec, run.out, run.err);
  run.pumpedBy(pumps.finally(() => log.close()));
}

/** a running container whose idle mode could not be re-entered: its output (fds 0, 1) and exit here */
async function watchHere(rec: ContainerRecord, r: RunArgs): Promise<Exit> {
  const { log, pumps } = logPipes(rec, 0, 1);
  const code = await reap(r.pid);
  await Promise.race([pumps, Bun.sleep(DRAIN_MS)]);
  log.close();
  return finishRun(rec, code, r.startedAt);
}

/** the end of the run the idle mode watched: PID 1 reaped here, then what a session does at its end */
async function resumeRun(rec: ContainerRecord, r: ResumeArgs): Promise<Exit> {
  const e = await finishRun(rec, await reap(r.pid), r.startedAt);
  return { ...e, finishedAt: new Date(r.exitedAt).toISOString(), ranMs: r.exitedAt - r.startedAt };
}

/**
 * The exit code of PID 1 after a re-exec: it is our child, and the idle mode hands back only once it
 * has exited, so it is there to reap. Polled without blocking the event loop (backing off to 1 s: after
 * a failed re-entry into the idle mode, watchHere waits here for the whole run).
 */
async function reap(pid: number): Promise<number> {
  for (let delay = 20; ; delay = Math.min(delay * 2, 1000)) {
    let r: { pid: number; status: number };
    try {
      r = wait4(pid, WNOHANG);
    } catch {
      // not our child any more (cannot happen short of someone else reaping it): status unknown
      return 255;
    }
    if (r.pid === pid) {
      const sig = r.status & 0x7f;
      return sig === 0 ? (r.status >> 8) & 0xff : 128 + sig;
    }
    await Bun.sleep(delay);
  }
}
