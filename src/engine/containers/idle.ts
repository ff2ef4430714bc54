/**
 * Hidden mode `__idle <json>`: the detached supervisor while its container runs. The full supervisor
 * (supervise.ts) starts the container, then execve()s itself into this mode: the container stays its
 * child (children survive execve) and the output pipes and the log file stay open (their fds are passed
 * without close-on-exec). This mode only copies the output into the json log, forwards SIGTERM/SIGQUIT
 * to PID 1 and watches for its exit. Then it execs back into `__supervise <id> --resume`, which reaps
 * PID 1 and does the rest (state.json, OOMKilled, cgroup, restart policy).
 *
 * Why: a supervisor holds its container's whole life, and the full mode's loaded code (launch, spec,
 * cgroups, ffi) is most of its private memory. Here nothing but this file and log-format.ts is loaded:
 * no node:fs (~0.36 MiB alone), no bun:ffi (so the JIT can be off: BUN_JSC_useJIT=0, ~0.3 MiB).
 * Output goes through Bun.file(fd).stream() (epoll on the pipe, no thread) and Bun.write (O_APPEND fd).
 *
 * The output pipes are fds 0 and 1 here, the fds Bun's process.execve keeps: after a burst of output,
 * whose garbage the heap keeps, this mode refreshes itself (`__supervise <id> --reidle`, which execs a
 * fresh idle mode at once) without losing them.
 */
import { entryLine, LogLines, type Stream } from "./log-format.ts";

/** what the full supervisor hands over (one JSON argument) */
export interface IdleArgs {
  id: string;
  /** argv prefix that re-runs this binary (the compiled binary, or bun + main.ts from source) */
  self: string[];
  pid: number;
  pidStart: number;
  /** when this run started (ms since the epoch) and the restart manager's current back-off */
  startedAt: number;
  backoffMs: number;
  /** read ends of the container's stdout and stderr pipes (0 and 1, see above) */
  out: number;
  err: number;
  log: { fd: number; size: number; path: string; maxSize: number; maxFiles: number };
}

/** the run being watched, as handed to `__supervise <id> --reidle` (PID 1 still runs) */
export interface RunArgs {
  pid: number;
  pidStart: number;
  startedAt: number;
  backoffMs: number;
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
export async function pumpFd(fd: number, onChunk: (chunk: Uint8Array) => void, drained?: () => Promise<void>): Promise<void> {
  try {
    for await (const chunk of Bun.file(fd).stream()) {
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
  // Bun's process.execve closes every fd but 0-2 on the way: the log fd goes, the pipes (0, 1) stay.
  // /proc/self/exe: this very binary even if its path was upgraded or deleted meanwhile (handoff.ts)
  process.execve("/proc/self/exe", [...a.self, "__supervise", a.id, mode, JSON.stringify(args)], env);
}

export async function idleMain(argv: string[]): Promise<void> {
  const a = JSON.parse(argv[0]!) as IdleArgs;
  const run: RunArgs = { pid: a.pid, pidStart: a.pidStart, startedAt: a.startedAt, backoffMs: a.backoffMs };
  // a chunk that ended mid-line (or mid-character: the decoder holds bytes) must not be cut by a refresh
  const endsLine = { stdout: true, stderr: true };
  // nor may a pipe at EOF be handed on: Bun may have closed its fd, and the number be reused meanwhile
  const open = { stdout: true, stderr: true };
  let exiting = false;
  let refresh = true;
  const log = new IdleLog(a.log, () => {
    const clean = lines.empty && endsLine.stdout && endsLine.stderr && open.stdout && open.stderr;
    if (refresh && !exiting && clean && log.written >= REFRESH_AFTER_BYTES) {
      try {
        execFull(a, "--reidle", run);
      } catch {
        refresh = false; // keep going in this image; collect as below
      }
    }
    Bun.gc(true);
    Bun.shrink();
  });
  const lines = new LogLines((stream, text) => log.entry(stream, text));
  const take = (stream: Stream) => (c: Uint8Array) => {
    endsLine[stream] = c[c.length - 1] === 0x0a;
    lines.write(stream, c);
  };

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

  const pumps = Promise.all([
    pumpFd(a.out, take("stdout"), () => log.settled()).then(() => void (open.stdout = false)),
    pumpFd(a.err, take("stderr"), () => log.settled()).then(() => void (open.stderr = false)),
  ]);
  // both pipes at EOF: usually PID 1 exited and took its pid namespace along. This also covers an exit
  // before our SIGCHLD handler was there, so there is no check at start: reading /proc goes through
  // Bun's thread pool, and its threads would stay for the container's whole life (2 threads, measured).
  // (Hence also: containers sharing the host's pid namespace, whose output may outlive PID 1, stay in
  // the full mode; see supervise.ts.)
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
