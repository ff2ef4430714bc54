/**
 * Docker's json-file log driver: one JSON object per line {"log":"...\n","stream":"stdout","time":...},
 * split on newlines, rotated by size. Unlike Docker, bounded by default (3 files × 10 MB): a chatty
 * container must not fill the disk. The writer is synchronous (small writes to a kept-open fd) because it
 * runs in the supervisor, where every allocation counts against the idle-memory budget.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, watch, writeSync, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { entryLine, LogLines, MAX_LINE, QUIET_FLUSH_MS, type Stream } from "./log-format.ts";

export const DEFAULT_MAX_SIZE = 10 * 1000 * 1000;
export const DEFAULT_MAX_FILES = 3;

export { fixedNano, timeNs, type Stream } from "./log-format.ts";

export class JsonLogWriter {
  #fd: number;
  #size: number;
  // the line splitting and entry format are shared with the idle supervisor (log-format.ts); a line left
  // open is written once output is quiet, so an attached follower sees a prompt at once
  #lines = new LogLines((stream, log) => this.#entry(stream, log), {}, QUIET_FLUSH_MS);

  constructor(
    readonly path: string,
    readonly maxSize = DEFAULT_MAX_SIZE,
    readonly maxFiles = DEFAULT_MAX_FILES,
  ) {
    this.#fd = openSync(path, "a", 0o640);
    this.#size = fstatSync(this.#fd).size;
  }

  write(stream: Stream, chunk: Uint8Array | string): void {
    this.#lines.write(stream, chunk);
  }

  /** flushes partial lines (container exit) */
  flush(): void {
    this.#lines.flush();
  }

  close(): void {
    this.flush();
    try {
      closeSync(this.#fd);
    } catch {}
  }

  #entry(stream: Stream, log: string): void {
    const line = Buffer.from(entryLine(stream, log));
    if (this.#size > 0 && this.#size + line.length > this.maxSize) this.#rotate();
    writeSync(this.#fd, line);
    this.#size += line.length;
  }

  #rotate(): void {
    closeSync(this.#fd);
    rotateLogFiles(this.path, this.maxFiles);
    this.#fd = openSync(this.path, "a", 0o640);
    this.#size = 0;
  }
}

/** shifts path -> path.1 -> ... (the oldest falls off); the caller then opens a fresh path */
export function rotateLogFiles(path: string, maxFiles: number): void {
  if (maxFiles <= 1) {
    unlinkSync(path);
    return;
  }
  for (let i = maxFiles - 1; i >= 1; i--) {
    const from = i === 1 ? path : `${path}.${i - 1}`;
    if (existsSync(from)) renameSync(from, `${path}.${i}`);
  }
}

export interface LogEntry {
  log: string;
  stream: Stream;
  time: string;
}

/** every rotated file, oldest first, then the live one */
export function logFiles(path: string, maxFiles = 20): string[] {
  const out: string[] = [];
  for (let i = maxFiles; i >= 1; i--) if (existsSync(`${path}.${i}`)) out.push(`${path}.${i}`);
  if (existsSync(path)) out.push(path);
  return out;
}

export function parseEntries(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // a torn last line while the writer is mid-write: skipped, the follower re-reads it
    }
  }
  return out;
}

export function readAll(path: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const f of logFiles(path)) {
    try {
      out.push(...parseEntries(readFileSync(f, "utf8")));
    } catch {}
  }
  return out;
}

/**
 * Which entries begin a line as the container wrote it. Besides each newline, the writers end an entry
 * where a line was left open and output went quiet (QUIET_FLUSH_MS: a prompt, typed characters), and
 * at 16 KiB as Docker's json-file does. The quiet pieces are one line for `logs -t`, --details and
 * --tail, as they would be in Docker's file; a 16 KiB piece stays a line of its own, as it does there.
 */
export class LineStarts {
  #open: Partial<Record<Stream, boolean>> = {};

  /** whether `e` begins a line, given the entries passed in before it */
  next(e: LogEntry): boolean {
    const starts = !this.#open[e.stream];
    this.#open[e.stream] = !e.log.endsWith("\n") && e.log.length < MAX_LINE;
    return starts;
  }
}

/** the entries of the last `n` lines (a line being one or more entries, see LineStarts) */
export function tailLines(entries: LogEntry[], n: number): LogEntry[] {
  if (n <= 0) return [];
  const l = new LineStarts();
  const starts: number[] = [];
  entries.forEach((e, i) => void (l.next(e) && starts.push(i)));
  return starts.length <= n ? entries : entries.slice(starts[starts.length - n]);
}

/** how long a follower waits for a change it was not told of (rotation races, a missed event) */
const FOLLOW_POLL_MS = 100;

/**
 * Yields entries appended to `path` after byte offset `from`, until `keepGoing()` turns false (checked
 * only when no new data arrived, so everything written before the container exited is delivered).
 * The file is read through an fd held open, as `tail -F` does: when a rotation renames it away, the rest
 * of that file is read to its end first, then the new file from offset 0 (a file that got smaller was
 * truncated: offset 0 too). New data is noticed through inotify on the log's directory (which also
 * sees a rotation's renames), and by a poll in case an event was missed.
 */
export async function* follow(path: string, from: number, keepGoing: () => boolean): AsyncGenerator<LogEntry> {
  let offset = from;
  let fd = -1;
  let ino = -1;
  let rest = "";
  let changed = false;
  let wake: (() => void) | null = null;
  const name = basename(path);
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), (_ev, file) => {
      if (file !== null && !String(file).startsWith(name)) return;
      changed = true;
      wake?.();
    });
    watcher.on("error", () => {});
  } catch {
    // no inotify (its limits reached): the poll alone
  }
  const open = (): void => {
    try {
      fd = openSync(path, "r");
      ino = fstatSync(fd).ino;
    } catch {
      // between a rotation's rename and the writer's new file: the next event or poll retries
      fd = -1;
    }
  };
  try {
    open();
    for (let idle = 0; ; ) {
      changed = false;
      // the name looked at before reading: once it names another file, the read below saw all of ours
      const named = inode(path);
      if (fd < 0) open();
      let text = "";
      if (fd >= 0) {
        const size = fstatSync(fd).size;
        if (size < offset) {
          offset = 0;
          rest = "";
        }
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          const n = readSync(fd, buf, 0, buf.length, offset);
          offset += n;
          text = rest + buf.subarray(0, n).toString("utf8");
        }
      }
      if (text) {
        const cut = text.lastIndexOf("\n");
        rest = text.slice(cut + 1);
        yield* parseEntries(text.slice(0, cut + 1));
        idle = 0;
        continue;
      }
      if (fd >= 0 && named !== ino) {
        // rotated (or removed): ours is read to its end, go on with whatever the name holds now
        closeSync(fd);
        fd = -1;
        offset = 0;
        rest = "";
        continue;
      }
      if (!keepGoing()) {
        if (++idle > 1) return;
      }
      // a change seen while we read is not waited for
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), FOLLOW_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    watcher?.close();
    if (fd >= 0) closeSync(fd);
  }
}

function inode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return -1;
  }
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** "10m", "1g", "500k", "123" → bytes (Docker's units.RAMInBytes for --log-opt max-size) */
export function parseByteSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new Error(`invalid size: '${s}'`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as "" | "k"]!;
  return Math.floor(Number(m[1]) * mult);
}
