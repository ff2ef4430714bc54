/**
 * Hidden mode `__idle <json>`: the detached supervisor while its container runs. The full supervisor
 * (supervise.ts) starts the container, then execve()s itself into this mode: the container stays its
 * child (children survive execve) and the output pipes and the log file stay open (their fds are passed
 * without close-on-exec). This mode only copies the output into the json log (a line left open, such as
 * a prompt, once output has been quiet for QUIET_FLUSH_MS: attach shows output by following the log),
 * forwards SIGTERM/SIGQUIT to PID 1 and watches for its exit. Then it execs back into
 * `__supervise <id> --resume`, which reaps PID 1 and does the rest (state.json, OOMKilled, cgroup,
 * restart policy).
 *
 * Why: a supervisor holds its container's whole life, and the full mode's loaded code (launch, spec,
 * cgroups, ffi) is most of its private memory. Here nothing but this file and log-format.ts is loaded:
 * no node:fs (~0.36 MiB alone), no bun:ffi (so the JIT can be off: BUN_JSC_useJIT=0, ~0.3 MiB).
 * Output goes through Bun.file(fd).stream() (epoll on the pipe, no thread) and Bun.write (O_APPEND fd).
 *
 * The run's fds sit in 0-2 here (RunFds), the fds Bun's process.execve keeps: after a burst of output,
 * whose garbage the heap keeps, this mode refreshes itself (`__supervise <id> --reidle`, which execs a
 * fresh idle mode at once) without losing them.
 *
 * Containers with -i or -t idle here too: this mode also serves their attach FIFO (attach.ts), copying
 * what clients type into the pty master or the stdin pipe. A resize needs no ffi here: the client sets
 * the size itself on a copy of the pty master (attach.ts resizeTty).
 */
import { FrameReader } from "./attach-frames.ts";
import { endsCharacter, entryLine, LogLines, QUIET_FLUSH_MS, type Pending, type Stream } from "./log-format.ts";

/**
 * Where a run's fds sit in the idle mode, by kind of container (supervise.ts puts them there):
 * plain -d: out 0, err 1. -d -i: stdin 0 (write end), out 1, err 2 (read ends on the fds Bun writes
 * its own messages to, where such a write fails instead of reaching the container's stdin). -t: pty 0,
 * the pty master, read through Bun.stdin (Bun.file(fd).stream() preads, which a tty refuses).
 * stdin is absent once an attach client ended the input.
 */
export interface RunFds {
  out?: number;
  err?: number;
  stdin?: number;
  pty?: number;
}

/** what the full supervisor hands over (one JSON argument) */
export interface IdleArgs extends RunArgs {
  id: string;
  /** argv prefix that re-runs this binary (the compiled binary, or bun + main.ts from source) */
  self: string[];
  log: { fd: number; size: number; path: string; maxSize: number; maxFiles: number };
  /** the attach FIFO (-i/-t containers); lost in this mode's own execs, the full mode reopens it */
  fifo?: number;
}

/** the run being watched, as handed to `__supervise <id> --reidle` (PID 1 still runs) */
export interface RunArgs {
  pid: number;
  pidStart: number;
  /** when this run started (ms since the epoch) and the restart manager's current back-off */
  startedAt: number;
  backoffMs: number;
  fds: RunFds;
  /** partial lines not yet logged, handed on by a refresh so the next image ends them */
  pending?: Pending;
}

/** what `__supervise <id> --resume` gets once PID 1 has exited */
export interface ResumeArgs extends RunArgs {
  /** when the exit was seen here (ms): FinishedAt, without the re-exec's delay */
  exitedAt: number;
}

/** env var that turns the JIT off in the idle mode; bun:ffi needs the JIT, so the full mode drops it */
export const IDLE_ENV: Record<string, string> = { BUN_JSC_useJIT: "0" };

/**
 * Copies one pipe's chunks until EOF (or an error: the pipe is gone either way). With `drained`, the
 * next chunk is read only once the previous one is written: a container writing faster than the log
 * file takes its output is held back by the pipe (as the full mode's synchronous writer does) instead
 * of queueing in memory (measured: 55 MiB queued during a 300k-line burst without this).
 */
export async function pumpFd(src: number | AsyncIterable<Uint8Array>, onChunk: (chunk: Uint8Array) => void, drained?: () => Promise<void>): Promise<void> {
  try {
    for await (const chunk of typeof src === "number" ? Bun.file(src).stream() : src) {
      onChunk(chunk);
      if (drained) await drained();
    }
  } catch {}
}

/**
 * Bun.write of a larger buffer goes to the thread pool (threads that then stay for the container's
 * life) and, measured with Bun 1.4.5 on an O_APPEND fd, from ~512 KB up sometimes writes data twice.
 * Batches stay below this (one entry is at most ~100 KB: 16 Ki characters, JSON-escaped).
 */
const MAX_WRITE = 64 * 1024;

/**
 * The json log from a kept-open O_APPEND fd: entries are queued and written in order by one writer.
 * Rotation (every LogMaxSize bytes) loads logs.ts, and with it node:fs, only when it happens.
 */
class IdleLog {
  #queue: string[] = [];
  #busy: Promise<void> | null = null;
  /** bytes written by this process image */
  written = 0;
  /** `quiet` runs once no output has come for a second */
  constructor(
    readonly l: IdleArgs["log"],
    readonly quiet: () => void,
  ) {}

  entry(stream: Stream, log: string): void {
    this.#queue.push(entryLine(stream, log));
    this.#busy ??= this.#drain();
  }

  /** resolves once everything queued so far is in the file */
  settled(): Promise<void> {
    return this.#busy ?? Promise.resolve();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        const queued = this.#queue;
        this.#queue = [];
        // one write for as many entries as fit before the next rotation
        let batch = "";
        let bytes = 0;
        for (const line of queued) {
          const n = Buffer.byteLength(line);
          const rotate = this.l.size + bytes > 0 && this.l.size + bytes + n > this.l.maxSize;
          if (rotate || bytes + n > MAX_WRITE) {
            if (bytes > 0) await this.#write(batch, bytes);
            batch = "";
            bytes = 0;
            if (rotate && this.l.size > 0) await this.#rotate();
          }
          batch += line;
          bytes += n;
        }
        if (bytes > 0) await this.#write(batch, bytes);
      }
    } catch {
      // the log file is gone (container removed under us): output is dropped, as Docker's would be
      this.#queue.length = 0;
    } finally {
      this.#busy = null;
      this.#collectLater();
    }
  }

  #quietTimer: Timer | null = null;
  #collectLater(): void {
    if (this.#quietTimer) clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => {
      this.#quietTimer = null;
      this.quiet();
    }, 1000);
    this.#quietTimer.unref();
  }

  async #write(batch: string, bytes: number): Promise<void> {
    await Bun.write(Bun.file(this.l.fd), batch);
    this.l.size += bytes;
    this.written += bytes;
  }

  async #rotate(): Promise<void> {
    const { rotateLogFiles } = await import("./logs.ts");
    const fs = await import("node:fs");
    fs.closeSync(this.l.fd);
    rotateLogFiles(this.l.path, this.l.maxFiles);
    this.l.fd = fs.openSync(this.l.path, "a", 0o640);
    this.l.size = 0;
  }
}

/** /proc/<pid>/stat: state (field 3) and start time (field 22); null when the pid is gone. Only read
 * when PID 1 may have exited (SIGCHLD, end of output). */
async function procState(pid: number): Promise<{ state: string; start: number } | null> {
  try {
    const stat = await Bun.file(`/proc/${pid}/stat`).text();
    // comm (field 2) may hold spaces and parentheses: split after the last ')'
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0]!, start: Number(rest[19]) };
  } catch {
    return null;
  }
}

/** how long output may still arrive after PID 1 is gone (its pid namespace dies with it, so ~0) */
export const DRAIN_MS = 2000;

/**
 * A burst of output grows the JS heap (the strings of every entry) and nothing shrinks it while the
 * process idles. A full collection once output has been quiet for a second gives part of it back
 * (measured, private memory after 20k lines 2.24 -> 2.12 MiB, after 300k lines 3.09 -> 2.67; 1.7 MiB
 * before any output); after this many bytes of log the process image is refreshed instead, which
 * gives all of it back for one start of the full mode (~25 ms, measured; 1.73 MiB after 20k or 300k
 * lines).
 */
const REFRESH_AFTER_BYTES = 512 * 1024;

/** execs this binary as `__supervise <id> <mode> <json>`, with the JIT back on (bun:ffi needs it) */
function execFull(a: IdleArgs, mode: "--resume" | "--reidle", args: RunArgs | ResumeArgs): void {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !(k in IDLE_ENV)) env[k] = v;
  if (!process.execve) throw new Error("this Bun has no process.execve");
  // Bun's process.execve closes every fd but 0-2 on the way: the log fd and the FIFO go, the run's
  // fds (0-2, RunFds) stay.
  // /proc/self/exe: this very binary even if its path was upgraded or deleted meanwhile (handoff.ts)
  process.execve("/proc/self/exe", [...a.self, "__supervise", a.id, mode, JSON.stringify(args)], env);
}

const MAX_PENDING_JSON = 64 * 1024;

/** how long input must have been quiet before a refresh: a frame Bun read ahead would be lost */
const INPUT_QUIET_MS = 1000;

export async function idleMain(argv: string[]): Promise<void> {
  const a = JSON.parse(argv[0]!) as IdleArgs;
  const run: RunArgs = { pid: a.pid, pidStart: a.pidStart, startedAt: a.startedAt, backoffMs: a.backoffMs, fds: a.fds };
  // a chunk that ended mid-character must not be cut by a refresh: the decoder's bytes cannot be handed
  // on (a partial line can: RunArgs.pending, one that came less than QUIET_FLUSH_MS before the refresh)
  const endsChar = { stdout: true, stderr: true };
  // nor may a pipe at EOF be handed on: Bun may have closed its fd, and the number be reused meanwhile
  const open = { stdout: true, stderr: true };
  let exiting = false;
  let refresh = true;
  // after the input was ended this image holds node:fs (see endInput): worth a refresh on its own
  let refreshNow = false;
  const maybeRefresh = () => {
    const pending = lines.pending;
    const clean = endsChar.stdout && endsChar.stderr && open.stdout && open.stderr && input.quiet();
    // (an argument over 128 KiB would fail the exec: two 16 KiB lines of escapes could come close)
    const small = JSON.stringify(pending).length < MAX_PENDING_JSON;
    if (refresh && !exiting && clean && small && (refreshNow || log.written >= REFRESH_AFTER_BYTES)) {
      try {
        execFull(a, "--reidle", { ...run, pending });
      } catch {
        refresh = false; // keep going in this image; collect as below
      }
    }
    Bun.gc(true);
    Bun.shrink();
  };
  const log = new IdleLog(a.log, maybeRefresh);
  const lines = new LogLines((stream, text) => log.entry(stream, text), a.pending, QUIET_FLUSH_MS);
  const take = (stream: Stream) => (c: Uint8Array) => {
    endsChar[stream] = endsCharacter(c);
    lines.write(stream, c);
  };
  const input = serveInput(a, run, () => {
    refreshNow = true;
    setTimeout(maybeRefresh, INPUT_QUIET_MS + 100).unref();
  });

  let onGone!: () => void;
  const gone = new Promise<void>((r) => (onGone = r));
  // PID 1 is our unreaped child: once it exits it stays a zombie until the full mode reaps it
  const check = () =>
    void procState(a.pid).then((s) => {
      if (!s || s.start !== a.pidStart || s.state === "Z" || s.state === "X") onGone();
    });
  // no start-time check needed: PID 1 is our child and stays unreaped here, so its pid cannot be reused
  const forward = (sig: number) => () => {
    try {
      process.kill(a.pid, sig);
    } catch {}
  };
  // the host shutting down (SIGTERM to every process) stops the container the way `stop` would
  process.on("SIGTERM", forward(15));
  process.on("SIGQUIT", forward(3));
  // as in the full mode (detach.ts): a hangup or Ctrl-C meant for the starting shell is not for us
  for (const sig of ["SIGHUP", "SIGINT", "SIGPIPE"] as const) process.on(sig, () => {});
  process.on("SIGCHLD", check);

  const { out, err, pty } = a.fds;
  const pumps = Promise.all([
    // the pty is fd 0: Bun.stdin reads it with read(2)
    pumpFd(pty !== undefined ? Bun.stdin.stream() : out!, take("stdout"), () => log.settled()).then(() => void (open.stdout = false)),
    err !== undefined ? pumpFd(err, take("stderr"), () => log.settled()).then(() => void (open.stderr = false)) : null,
  ]);
  // both pipes at EOF (the pty: its last slave closed): usually PID 1 exited and took its pid namespace
  // along. This also covers an exit before our SIGCHLD handler was there, so there is no check at
  // start: reading /proc goes through Bun's thread pool, and its threads would stay for the
  // container's whole life (2 threads, measured). (Hence also: containers sharing the host's pid
  // namespace, whose output may outlive PID 1, stay in the full mode; see supervise.ts.)
  void pumps.then(check);

  // signal handlers do not keep Bun's event loop alive, and the pipes may reach EOF before PID 1 has
  // exited (or long before, if it closes them): without a pending timer the process would just end
  const alive = setInterval(() => {}, 2 ** 31 - 1);
  await gone;
  exiting = true;
  const exitedAt = Date.now();
  clearInterval(alive);
  await Promise.race([pumps, Bun.sleep(DRAIN_MS)]);
  lines.flush();
  await log.settled();

  try {
    execFull(a, "--resume", { ...run, exitedAt });
  } catch (err) {
    // without the full mode nobody can reap PID 1 or record its exit: leave, so the container reads
    // as stale (supervisor gone) and the next verb cleans it up
    process.stderr.write(`bunker: supervisor of ${a.id}: re-exec failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(125);
  }
}

/**
 * The attach FIFO of a -i/-t container: typed data into the pty master or the stdin pipe, an end of
 * input closes the stdin pipe (`run.fds.stdin` then goes, so no exec hands fd 0 on as stdin). "r"
 * frames are dropped: setting a size needs ffi, so clients set it themselves (attach.ts resizeTty) and
 * send one only where that failed, which only a full-mode supervisor can answer.
 */
function serveInput(a: IdleArgs, run: RunArgs, ended: () => void): { quiet(): boolean } {
  const target = a.fds.pty ?? a.fds.stdin;
  if (a.fifo === undefined || target === undefined) return { quiet: () => true };
  // a FileSink polls a full pipe or pty instead of blocking, as the full mode's writer does
  let sink: ReturnType<ReturnType<typeof Bun.file>["writer"]> | null = Bun.file(target).writer();
  let lastAt = 0;
  let writing = 0;
  const settle = (p: unknown) => {
    if (!(p instanceof Promise)) return;
    writing++;
    void p.catch(() => {}).finally(() => writing--);
  };
  const endInput = async () => {
    const fd = a.fds.stdin;
    if (a.fds.pty !== undefined || fd === undefined || !sink) return;
    const s = sink;
    sink = null;
    try {
      await s.flush();
    } catch {}
    // closing an fd needs node:fs, loaded only now (~0.36 MiB, given back by the refresh that follows;
    // FileSink.end() leaves an fd it did not open). /dev/null takes the lowest free fd, this one (0),
    // at once: nothing else may land there and be handed on meanwhile
    const fs = await import("node:fs");
    try {
      fs.closeSync(fd);
      fs.openSync("/dev/null", "r");
    } catch {}
    run.fds = { ...run.fds, stdin: undefined };
    ended();
  };
  const frames = new FrameReader((type, payload) => {
    try {
      if (type === "d" && sink) {
        sink.write(payload);
        settle(sink.flush());
      } else if (type === "e") void endInput();
    } catch {
      // the container closed its stdin or is gone: typed data is dropped, as the full mode does
    }
  });
  void pumpFd(a.fifo, (c) => {
    lastAt = Date.now();
    frames.push(c);
  });
  return { quiet: () => frames.empty && writing === 0 && Date.now() - lastAt > INPUT_QUIET_MS };
}
