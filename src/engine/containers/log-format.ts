/**
 * The json-file log format on its own: output chunks split into entries (one per line, a line without
 * newline cut at 16 KiB like Docker), each entry one JSON object {"log","stream","time"} per line. No
 * file I/O and no node:fs here: the idle supervisor (idle.ts) imports this module, and loading node:fs
 * alone costs it ~0.36 MiB private memory (measured). JsonLogWriter (logs.ts) and the idle writer put
 * the lines into the file.
 */
export type Stream = "stdout" | "stderr";

/** Docker cuts a line without newline at 16 KiB and marks it partial */
export const MAX_LINE = 16 * 1024;

/**
 * How long a line left open (a shell's prompt, the echo of what is being typed) waits for its newline
 * before it is written as an entry of its own. Attach shows output by following the log, so without
 * this a prompt would appear only with the next newline; Docker's attach streams raw bytes. Long enough
 * that a line a program writes in pieces (printf of each field) arrives within it and stays one entry.
 */
export const QUIET_FLUSH_MS = 20;

/** Date.now() is in ms: the digits below come from the monotonic clock, anchored to the wall clock */
let anchorMs = 0;
let anchorHr = 0n;
let lastNs = 0n;

/**
 * Now in ns since the epoch. The anchor is taken as Date.now() turns to a new ms (a spin of at most
 * 1 ms, once per process image), so wall clock and estimate agree to a few µs; it is taken again when
 * they part by more than the ms Date.now() rounds off (the wall clock was set: a supervisor runs for
 * weeks). Entries stay in order within an instant and across a re-anchor that steps back by a little.
 */
export function nowNs(): bigint {
  let ms = Date.now();
  let hr = process.hrtime.bigint();
  let ns = BigInt(anchorMs) * 1_000_000n + (hr - anchorHr);
  const ahead = ns - BigInt(ms) * 1_000_000n;
  if (anchorMs === 0 || ahead < -1_000_000n || ahead > 2_000_000n) {
    const m0 = ms;
    while ((ms = Date.now()) === m0);
    hr = process.hrtime.bigint();
    anchorMs = ms;
    anchorHr = hr;
    ns = BigInt(ms) * 1_000_000n;
  }
  if (ns <= lastNs && lastNs - ns < 2_000_000n) ns = lastNs + 1n;
  lastNs = ns;
  return ns;
}

/** Go's time.RFC3339Nano in UTC, as Docker's json-file stores it: trailing zeros of the fraction dropped */
export function rfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const frac = String(ns % 1_000_000_000n).padStart(9, "0").replace(/0+$/, "");
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}${frac ? `.${frac}` : ""}Z`;
}

/** An RFC 3339 time with any number of fraction digits (ours, older files', Docker's) in ns; null if unreadable */
export function timeNs(time: string): bigint | null {
  const m = /^([^.]*?)(?:\.(\d{1,9})\d*)?(Z|[+-]\d\d:\d\d)?$/.exec(time);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3] ?? ""}`);
  if (Number.isNaN(ms)) return null;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** Docker's `logs -t` prefix: RFC3339NanoFixed (always nine fraction digits), UTC */
export function fixedNano(time: string): string {
  const ns = timeNs(time);
  if (ns === null) return time;
  const ms = ns / 1_000_000n;
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, "0")}Z`;
}

/** whether a chunk ends on a whole UTF-8 character (else a decoder holds its first bytes) */
export function endsCharacter(c: Uint8Array): boolean {
  for (let back = 1; back <= Math.min(4, c.length); back++) {
    const b = c[c.length - back]!;
    // bytes after an ASCII one that no lead byte starts are invalid: decoded already, as U+FFFD
    if (b < 0x80) return true;
    if (b >= 0xc0) return back >= (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2);
  }
  return true;
}

/** one entry as the line written to the file */
export function entryLine(stream: Stream, log: string): string {
  return `${JSON.stringify({ log, stream, time: rfc3339Nano(nowNs()) })}\n`;
}

/** the partial lines a LogLines holds, carried across the idle supervisor's re-execs */
export type Pending = Partial<Record<Stream, string>>;

/**
 * Splits each stream's chunks into entries; a partial line waits for the rest, for flush, or (with
 * `quietMs`) until no output has come for that long, when it becomes an entry without newline. The
 * entries' `log` fields, concatenated, are always exactly the bytes written: `logs` prints them so.
 */
export class LogLines {
  #pending: Record<Stream, string>;
  #decoders: Record<Stream, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  #timer: Timer | null = null;
  #lastAt = 0;

  constructor(
    readonly emit: (stream: Stream, log: string) => void,
    pending: Pending = {},
    readonly quietMs = 0,
  ) {
    this.#pending = { stdout: pending.stdout ?? "", stderr: pending.stderr ?? "" };
    if (this.#pending.stdout || this.#pending.stderr) this.#flushWhenQuiet();
  }

  write(stream: Stream, chunk: Uint8Array | string): void {
    const text = typeof chunk === "string" ? chunk : this.#decoders[stream].decode(chunk, { stream: true });
    let buf = this.#pending[stream] + text;
    let nl = buf.indexOf("\n");
    while (nl !== -1) {
      this.emit(stream, buf.slice(0, nl + 1));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
    while (buf.length >= MAX_LINE) {
      this.emit(stream, buf.slice(0, MAX_LINE));
      buf = buf.slice(MAX_LINE);
    }
    this.#pending[stream] = buf;
    if (buf) this.#flushWhenQuiet();
  }

  /**
   * One timer for as long as output keeps coming (a burst cut into chunks mid-line arms it once, not
   * per chunk): when it fires early it waits for the rest of the quiet period.
   */
  #flushWhenQuiet(): void {
    if (this.quietMs <= 0) return;
    this.#lastAt = Date.now();
    this.#timer ??= this.#arm(this.quietMs);
  }

  /** unref'd: a flush due never keeps a process alive (its writer's close() flushes anyway) */
  #arm(ms: number): Timer {
    const t = setTimeout(this.#onTimer, ms);
    t.unref();
    return t;
  }

  #onTimer = (): void => {
    this.#timer = null;
    const left = this.#lastAt + this.quietMs - Date.now();
    if (left > 0) {
      this.#timer = this.#arm(left);
      return;
    }
    try {
      this.flush();
    } catch {
      // the writer's own failure (log file gone): nobody to report it to from a timer
    }
  };

  /** the partial lines waiting for their newline (decoded text: bytes of a cut character are not in it) */
  get pending(): Pending {
    const p: Pending = {};
    if (this.#pending.stdout) p.stdout = this.#pending.stdout;
    if (this.#pending.stderr) p.stderr = this.#pending.stderr;
    return p;
  }

  /** flushes partial lines (quiet output, container exit) */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const s of ["stdout", "stderr"] as const) {
      if (this.#pending[s]) this.emit(s, this.#pending[s]);
      this.#pending[s] = "";
    }
  }
}
