/**
 * Hidden mode `__supervise <id>`: the per-container supervisor of a detached container. Parent of the
 * container's PID 1 (so it gets the real exit status), writer of its logs, keeper of its restart policy.
 * Reports "started" (or the start error) to the CLI that spawned it, then lives on without a terminal.
 *
 * Once a run has started, the supervisor execs itself into the small idle mode (idle.ts), which copies
 * the output into the log and execs back as `__supervise <id> --resume <json>` when PID 1 has exited;
 * this process image then reaps it and goes on with the restart loop. After a burst of output the
 * idle mode refreshes itself through `__supervise <id> --reidle <json>`, which execs a fresh idle mode
 * at once. Containers with -i or -t idle too: the idle mode holds their pty master or stdin pipe and
 * serves their attach FIFO (attach.ts). Containers in the host's pid namespace stay in this mode (see
 * start()). BUNKER_SUPERVISOR_IDLE=0 keeps every container in this mode (for measuring and debugging).
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
import { openFifo, serveAttach, type AttachTarget } from "./attach.ts";
import { DRAIN_MS, IDLE_ENV, pumpFd, type IdleArgs, type ResumeArgs, type RunArgs, type RunFds } from "./idle.ts";
import type { Pending } from "./log-format.ts";
import { JsonLogWriter } from "./logs.ts";
import { fdStream, finishRun, recordStartError, selfStart, startSession, type Exit, type Session } from "./session.ts";
import { isAlive, signalIfSame } from "./procs.ts";
import { clearLive, cpaths, loadLive, loadRecord, loadState, updateState, writeLive } from "./store.ts";
import type { ContainerRecord, StateFile } from "./types.ts";

/**
 * a run whose fds we hold (output pipes we made, the stdin pipe's write end, the pty master): handed to
 * the idle mode, or served here if that cannot be
 */
interface PipedRun {
  session: Session;
  fds: RunFds;
  /** the attach FIFO (-i/-t), open before the starter hears of the run: an attach right after finds a reader */
  fifo?: number;
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
    // the idle mode refreshing itself (idle.ts): straight into a fresh one, the run's fds are in 0-2
    try {
      enterIdle(rec, reidle);
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
        const tty = fresh.Config.Tty;
        // output that may outlive PID 1 (no pid namespace of its own) would keep the idle mode from
        // seeing the exit; bunker has no --pid host yet, so this guards the future
        const idle = fresh.HostConfig.PidMode !== "host" && process.env.BUNKER_SUPERVISOR_IDLE !== "0";
        // a pty needs none: init makes it, we get its master
        const pipes = idle && !tty ? runPipes(fresh.Config.OpenStdin) : null;
        let session: Session;
        try {
          session = await startSession(fresh, {
            stdin: pipes?.stdin ? pipes.stdin[0] : fresh.Config.OpenStdin ? "pipe" : "ignore",
            ...(pipes ? { output: { stdout: pipes.out[1], stderr: pipes.err[1] } } : {}),
            ownPty: idle,
          });
        } catch (err) {
          if (pipes) closeAll([pipes.out[0], pipes.err[0], ...(pipes.stdin ? [pipes.stdin[1]] : [])]);
          throw err;
        } finally {
          // the container holds its ends now: EOF comes when its last process is gone
          if (pipes) closeAll([pipes.out[1], pipes.err[1], ...(pipes.stdin ? [pipes.stdin[0]] : [])]);
        }
        const l = session.launched;
        // a stop that arrived while this run was being launched
        if (loadState(id).ManuallyStopped) signalIfSame(l.pid, l.startTime, 9);
        let exited: Promise<RunExit>;
        if (idle) {
          const fds: RunFds = pipes ? { out: pipes.out[0], err: pipes.err[0], stdin: pipes.stdin?.[1] } : { pty: l.ptyMaster };
          let pumpedBy!: PipedRun["pumpedBy"];
          const pumped = new Promise<unknown>((r) => (pumpedBy = r));
          const run: PipedRun = (piped = { session, fds, startedAt: Date.now(), pumped, pumpedBy });
          if (fresh.Config.OpenStdin || tty) run.fifo = openFifo(id);
          exited = session.finished.then(async (e) => {
            await run.pumped;
            closeAll(fdList(run.fds));
            return toRunExit(e);
          });
        } else {
          if (fresh.Config.OpenStdin || tty) void session.finished.then(serveAttach(id, { pty: l.ptyMaster, stdin: l.stdin }));
          exited = session.finished.then(toRunExit);
        }
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
  if (rec.HostConfig.AutoRemove && !removerAlive(loadState(id))) {
    try {
      mkdirSync(dirname(cpaths.exit(id)), { recursive: true, mode: 0o700 });
      writeFileSync(cpaths.exit(id), String(loadState(id).ExitCode));
    } catch {}
    const { removeContainer } = await import("./remove.ts");
    await removeContainer(id, true, true).catch(() => {});
  }
  process.exit(0);
}

/** an `rm -f` is removing the container and still alive to finish (a record without its pid: assume so) */
function removerAlive(s: StateFile): boolean {
  if (!s.Removing) return false;
  return !s.RemovingBy || isAlive(s.RemovingBy.Pid, s.RemovingBy.Start);
}

/** pipes for a run's stdout and stderr, and its stdin with -i: [read end, write end] each */
function runPipes(withStdin: boolean): { out: [number, number]; err: [number, number]; stdin?: [number, number] } {
  const sys = linuxSys();
  const made: number[] = [];
  const pipe = (): [number, number] => {
    const p = sys.pipe2(O_CLOEXEC);
    made.push(...p);
    return p;
  };
  try {
    return { out: pipe(), err: pipe(), ...(withStdin ? { stdin: pipe() } : {}) };
  } catch (e) {
    closeAll(made);
    throw e;
  }
}

const fdList = (fds: RunFds): number[] => [fds.out, fds.err, fds.stdin, fds.pty].filter((fd): fd is number => fd !== undefined);

/** the run's fds in 0-2 point at /dev/null again (after the idle mode, or a failed attempt to enter it) */
function releaseLow(fds: RunFds): void {
  try {
    const nul = openSync("/dev/null", "r+");
    for (const fd of fdList(fds)) if (fd <= 2) linuxSys().dup3(nul, fd, 0);
    closeSync(nul);
  } catch {}
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
    enterIdle(rec, { pid: launched.pid, pidStart: launched.startTime, startedAt: run.startedAt, backoffMs: rm.timeout, fds: run.fds }, run.fifo);
  } catch (err) {
    debug(`no idle mode: ${err instanceof Error ? err.message : String(err)}`);
    // 0-2 may hold copies of the run's fds by now: back to /dev/null, as after the report to the starter
    releaseLow(idleLayout(run.fds));
    pumpHere(rec, run);
  }
}

/** where the idle mode keeps a run's fds (see RunFds in idle.ts) */
function idleLayout(fds: RunFds): RunFds {
  if (fds.pty !== undefined) return { pty: 0 };
  if (fds.stdin !== undefined) return { stdin: 0, out: 1, err: 2 };
  return { out: 0, err: 1 };
}

/**
 * execve into `__idle`: the run's fds are copied to 0-2 (the ones the idle mode's own re-execs keep;
 * when they are there already, after such a re-exec, they stay as they are) and the log, and for -i/-t
 * the attach FIFO (unless open already), are opened for it. Returns only by throwing (the exec failed;
 * `fifo` is then still open, the rest closed).
 */
function enterIdle(rec: ContainerRecord, run: RunArgs, fifo?: number): never {
  const sys = linuxSys();
  let fds = run.fds;
  if (!fdList(fds).every((fd) => fd <= 2)) {
    // fresh from a launch: every fd of the run is above 2, so no copy overwrites another
    const to = idleLayout(fds);
    for (const k of ["out", "err", "stdin", "pty"] as const) if (fds[k] !== undefined) sys.dup3(fds[k], to[k]!, 0);
    fds = to;
  }
  const path = cpaths.log(rec.Id);
  const opened: number[] = [];
  try {
    const logFd = openSync(path, "a", 0o640);
    opened.push(logFd);
    if (fifo === undefined && (rec.Config.OpenStdin || rec.Config.Tty)) opened.push((fifo = openFifo(rec.Id)));
    const idle: IdleArgs = {
      id: rec.Id,
      self: selfCommand("__idle").slice(0, -1),
      ...run,
      fds,
      log: { fd: logFd, size: fstatSync(logFd).size, path, maxSize: rec.Bunker.LogMaxSize, maxFiles: rec.Bunker.LogMaxFiles },
      ...(fifo !== undefined ? { fifo } : {}),
    };
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...IDLE_ENV };
    return execSelf([...selfCommand("__idle"), JSON.stringify(idle)], env, fifo !== undefined ? [...opened, fifo] : opened);
  } catch (e) {
    closeAll(opened);
    throw e;
  }
}

function debug(msg: string): void {
  if (process.env.BUNKER_SUPERVISOR_DEBUG) console.error(`bunker: supervisor: ${msg}`);
}

/**
 * The full mode doing the idle mode's work for a run: its output (pipes or pty) copied into the json
 * log until EOF (`pumped`), and for -i/-t its attach FIFO served, until `close()`, which also writes
 * out a line left open.
 */
function serveHere(rec: ContainerRecord, fds: RunFds, fifo?: number, pending: Pending = {}): { pumped: Promise<unknown>; close(): void } {
  const log = new JsonLogWriter(cpaths.log(rec.Id), rec.Bunker.LogMaxSize, rec.Bunker.LogMaxFiles);
  // lines the idle mode left open go on here
  for (const s of ["stdout", "stderr"] as const) if (pending[s]) log.write(s, pending[s]);
  const pumped = Promise.all([
    fds.out !== undefined ? pumpFd(fds.out, (c) => log.write("stdout", c)) : null,
    fds.err !== undefined ? pumpFd(fds.err, (c) => log.write("stderr", c)) : null,
    // EIO once the last slave closes ends it, as in a session. At fd 0 (handed back by the idle mode,
    // which left it non-blocking) through Bun.stdin, as there; fresh from a launch through read(2)
    fds.pty !== undefined ? pumpFd(fds.pty === 0 ? Bun.stdin.stream() : fdStream(fds.pty), (c) => log.write("stdout", c)) : null,
  ]);
  const stopServing = rec.Config.OpenStdin || rec.Config.Tty ? serveAttach(rec.Id, attachTarget(fds), fifo) : null;
  return {
    pumped,
    close() {
      log.close();
      stopServing?.();
    },
  };
}

/** the attach target of a run whose stdin pipe we made: its end closes the pipe (and forgets the fd) */
function attachTarget(fds: RunFds): AttachTarget {
  if (fds.pty !== undefined || fds.stdin === undefined) return { pty: fds.pty };
  const fd = fds.stdin;
  const w = Bun.file(fd).writer();
  const flushed = () => Promise.resolve(w.flush()).catch(() => {});
  return {
    stdin: {
      write: (b: Uint8Array) => (w.write(b), flushed()),
      end: () =>
        flushed().then(() => {
          if (fds.stdin !== fd) return;
          fds.stdin = undefined;
          closeAll([fd]);
        }),
    },
  };
}

/** the full mode's own service of a run that was not handed off */
function pumpHere(rec: ContainerRecord, run: PipedRun): void {
  const served = serveHere(rec, run.fds, run.fifo);
  run.pumpedBy(served.pumped.finally(() => served.close()));
}

/** a running container whose idle mode could not be re-entered: its fds (0-2) and exit served here */
async function watchHere(rec: ContainerRecord, r: RunArgs): Promise<Exit> {
  const served = serveHere(rec, r.fds, undefined, r.pending);
  const code = await reap(r.pid);
  await Promise.race([served.pumped, Bun.sleep(DRAIN_MS)]);
  served.close();
  releaseLow(r.fds);
  return finishRun(rec, code, r.startedAt);
}

/** the end of the run the idle mode watched: PID 1 reaped here, then what a session does at its end */
async function resumeRun(rec: ContainerRecord, r: ResumeArgs): Promise<Exit> {
  // the run's pipes or pty master, handed back in 0-2, are of no more use
  releaseLow(r.fds);
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
