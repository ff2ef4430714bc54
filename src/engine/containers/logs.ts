/**
 * Docker's json-file log driver: one JSON object per line {"log":"...\n","stream":"stdout","time":...},
 * split on newlines, rotated by size. Unlike Docker, bounded by default (3 files × 10 MB): a chatty
 * container must not fill the disk. The writer is synchronous (small writes to a kept-open fd) because it
 * runs in the supervisor, where every allocation counts against the idle-memory budget.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";

export const DEFAULT_MAX_SIZE = 10 * 1000 * 1000;
export const DEFAULT_MAX_FILES = 3;
/** Docker cuts a line without newline at 16 KiB and marks it partial */
const MAX_LINE = 16 * 1024;

export type Stream = "stdout" | "stderr";

let lastMs = 0;
let seq = 0;
/** RFC 3339 with nanoseconds like Docker; sub-millisecond digits keep entries ordered within a ms */
export function nanoTime(): string {
  const ms = Date.now();
  seq = ms === lastMs ? seq + 1 : 0;
  lastMs = ms;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, -1)}${String(seq).padStart(6, "0")}Z`;
}

export class JsonLogWriter {
  #fd: number;
  #size: number;
  #pending: Record<Stream, string> = { stdout: "", stderr: "" };
  #decoders: Record<Stream, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(
    readonly path: string,
    readonly maxSize = DEFAULT_MAX_SIZE,
    readonly maxFiles = DEFAULT_MAX_FILES,
  ) {
    this.#fd = openSync(path, "a", 0o640);
    this.#size = fstatSync(this.#fd).size;
  }

  write(stream: Stream, chunk: Uint8Array | string): void {
    const text = typeof chunk === "string" ? chunk : this.#decoders[stream].decode(chunk, { stream: true });
    let buf = this.#pending[stream] + text;
    let nl = buf.indexOf("\n");
    while (nl !== -1) {
      this.#entry(stream, buf.slice(0, nl + 1));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
    while (buf.length >= MAX_LINE) {
      this.#entry(stream, buf.slice(0, MAX_LINE));
      buf = buf.slice(MAX_LINE);
    }
    this.#pending[stream] = buf;
  }

  /** flushes partial lines (container exit) */
  flush(): void {
    for (const s of ["stdout", "stderr"] as const) {
      if (this.#pending[s]) this.#entry(s, this.#pending[s]);
      this.#pending[s] = "";
    }
  }

  close(): void {
    this.flush();
    try {
      closeSync(this.#fd);
    } catch {}
  }

  #entry(stream: Stream, log: string): void {
    const line = Buffer.from(`${JSON.stringify({ log, stream, time: nanoTime() })}\n`);
    if (this.#size > 0 && this.#size + line.length > this.maxSize) this.#rotate();
    writeSync(this.#fd, line);
    this.#size += line.length;
  }

  #rotate(): void {
    closeSync(this.#fd);
    if (this.maxFiles <= 1) {
      unlinkSync(this.path);
    } else {
      for (let i = this.maxFiles - 1; i >= 1; i--) {
        const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
        if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
      }
    }
    this.#fd = openSync(this.path, "a", 0o640);
    this.#size = 0;
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
