/**
 * The json-file log format on its own: output chunks split into entries (one per line, a line without
 * newline cut at 16 KiB like Docker), each entry one JSON object {"log","stream","time"} per line. No
 * file I/O and no node:fs here: the idle supervisor (idle.ts) imports this module, and loading node:fs
 * alone costs it ~0.36 MiB private memory (measured). JsonLogWriter (logs.ts) and the idle writer put
 * the lines into the file.
 */
export type Stream = "stdout" | "stderr";

/** Docker cuts a line without newline at 16 KiB and marks it partial */
const MAX_LINE = 16 * 1024;

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

/** one entry as the line written to the file */
export function entryLine(stream: Stream, log: string): string {
  return `${JSON.stringify({ log, stream, time: nanoTime() })}\n`;
}

/** Splits each stream's chunks into entries; a partial line waits for the rest (or for flush). */
export class LogLines {
  #pending: Record<Stream, string> = { stdout: "", stderr: "" };
  #decoders: Record<Stream, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(readonly emit: (stream: Stream, log: string) => void) {}

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
  }

  /** nothing held back: no partial line waiting for its newline (a hand-over would cut it in two) */
  get empty(): boolean {
    return this.#pending.stdout === "" && this.#pending.stderr === "";
  }

  /** flushes partial lines (container exit) */
  flush(): void {
    for (const s of ["stdout", "stderr"] as const) {
      if (this.#pending[s]) this.emit(s, this.#pending[s]);
      this.#pending[s] = "";
    }
  }
}
