/**
 * Docker's json-file log driver: one JSON object per line {"log":"...\n","stream":"stdout","time":...},
 * split on newlines, rotated by size. Unlike Docker, bounded by default (3 files × 10 MB): a chatty
 * container must not fill the disk. The writer is synchronous (small writes to a kept-open fd) because it
 * runs in the supervisor, where every allocation counts against the idle-memory budget.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { entryLine, LogLines, type Stream } from "./log-format.ts";

export const DEFAULT_MAX_SIZE = 10 * 1000 * 1000;
export const DEFAULT_MAX_FILES = 3;

export { fixedNano, timeNs, type Stream } from "./log-format.ts";

export class JsonLogWriter {
  #fd: number;
  #size: number;
  // the line splitting and entry format are shared with the idle supervisor (log-format.ts)
  #lines = new LogLines((stream, log) => this.#entry(stream, log));

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
 * Yields entries appended to `path` after byte offset `from`, until `keepGoing()` turns false (checked
 * only when no new data arrived, so everything written before the container exited is delivered).
 * A rotation (the file got smaller or was replaced) restarts at offset 0 of the new file.
 */
export async function* follow(path: string, from: number, keepGoing: () => boolean): AsyncGenerator<LogEntry> {
  let offset = from;
  let ino = inode(path);
  let rest = "";
  for (let idle = 0; ; ) {
    const nowIno = inode(path);
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {}
    if (nowIno !== ino || size < offset) {
      ino = nowIno;
      offset = 0;
      rest = "";
    }
    if (size > offset) {
      const fd = openSync(path, "r");
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      closeSync(fd);
      offset += n;
      const text = rest + buf.subarray(0, n).toString("utf8");
      const cut = text.lastIndexOf("\n");
      rest = text.slice(cut + 1);
      yield* parseEntries(text.slice(0, cut + 1));
      idle = 0;
      continue;
    }
    if (!keepGoing()) {
      if (++idle > 1) return;
    }
    await Bun.sleep(100);
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
