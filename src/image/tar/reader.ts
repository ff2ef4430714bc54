/**
 * Streaming tar reader over the WASM parser (wasm/tar_read.c). Headers and pax/long-name data are copied
 * into WASM memory (512 bytes per entry); bodies are never copied: they come out as subarrays of the
 * chunks that were pushed in.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { TarFormatError } from "./errors.ts";
import type { TarEntry, TarEntryType } from "./types.ts";
import { Ev, F, Mode, TYPES, newInstance, type LayerExports } from "./wasm.ts";

export type TarEvent =
  | { type: "entry"; entry: TarEntry }
  /** body bytes of the last entry: a view into the pushed chunk, valid as long as that chunk is */
  | { type: "data"; data: Uint8Array }
  | { type: "end" };

const utf8 = new TextDecoder();

const MESSAGES: Record<number, [string, string]> = {
  1: ["checksum", "bad header checksum"],
  2: ["type", "unsupported entry type"],
  3: ["sparse", "sparse files are not supported"],
  4: ["truncated", "unexpected end of archive inside a header"],
  5: ["truncated", "unexpected end of archive inside entry data"],
  6: ["size", "entry size is absurdly large"],
  7: ["number", "invalid size field"],
  8: ["number", "invalid mode field"],
  9: ["number", "invalid uid field"],
  10: ["number", "invalid gid field"],
  11: ["number", "invalid mtime field"],
  12: ["number", "invalid device number field"],
  13: ["number", "invalid checksum field"],
  14: ["pax", "malformed pax extended header record"],
  15: ["pax", "invalid value in pax extended header"],
  16: ["pax", "extended header or long name larger than 1 MiB"],
  17: ["id", "uid or gid out of range"],
  18: ["internal", "parser protocol error"],
};

/** Sync push parser: push(chunk) returns the events that chunk completes. */
export class TarParser {
  private readonly w: LayerExports;
  private readonly mem: Uint8Array;
  private readonly out: Float64Array;
  private ended = false;
  private error: TarFormatError | undefined;
  /** when set, body bytes are consumed without "data" events (listings) */
  dropData = false;

  constructor() {
    this.w = newInstance();
    this.w.tr_init();
    this.mem = new Uint8Array(this.w.memory.buffer); // memory never grows (fixed at build time)
    this.out = new Float64Array(this.w.memory.buffer, this.w.tr_out(), 19);
  }

  /** Feeds bytes; throws TarFormatError on malformed input (and on every call after that). */
  push(chunk: Uint8Array, events: TarEvent[] = []): TarEvent[] {
    if (this.error) throw this.error;
    const w = this.w;
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      const mode = w.tr_mode();
      // every step must consume input; a zero-byte step would mean a parser bug, so fail loudly
      if (mode <= Mode.SKIP && w.tr_want() === 0) throw this.fail(18);
      if (mode === Mode.COPY) {
        const n = Math.min(w.tr_want(), len - off);
        this.mem.set(chunk.subarray(off, off + n), w.tr_dst());
        off += n;
        const ev = w.tr_fill(n);
        if (ev === Ev.ENTRY) events.push({ type: "entry", entry: this.entry() });
        else if (ev === Ev.END) { this.ended = true; events.push({ type: "end" }); }
        else if (ev === Ev.ERROR) throw this.fail();
      } else if (mode === Mode.BODY) {
        const n = Math.min(w.tr_want(), len - off);
        if (!this.dropData) events.push({ type: "data", data: chunk.subarray(off, off + n) });
        off += n;
        w.tr_skip(n);
      } else if (mode === Mode.SKIP) {
        const n = Math.min(w.tr_want(), len - off);
        off += n;
        w.tr_skip(n);
      } else if (mode === Mode.END) {
        break; // bytes after the end marker (record padding) are ignored, as GNU tar does
      } else {
        throw this.fail();
      }
    }
    return events;
  }

  /** The input is over: returns [end] or throws if the archive was cut short. */
  end(events: TarEvent[] = []): TarEvent[] {
    if (this.error) throw this.error;
    const ev = this.w.tr_eof();
    if (ev === Ev.ERROR) throw this.fail();
    if (!this.ended) {
      this.ended = true;
      events.push({ type: "end" });
    }
    return events;
  }

  /**
   * Passes over the rest of the current body and its padding without being given the bytes; returns
   * how many input bytes the caller must drop (e.g. by seeking). 0 when not inside a body.
   */
  skip(): number {
    if (this.error) throw this.error;
    const w = this.w;
    let total = 0;
    for (let mode = w.tr_mode(); mode === Mode.BODY || mode === Mode.SKIP; mode = w.tr_mode()) {
      const n = w.tr_want();
      if (n === 0) throw this.fail(18);
      total += n;
      w.tr_skip(n);
    }
    return total;
  }

  get done(): boolean {
    return this.ended;
  }

  private str(ptrField: number): string {
    const p = this.out[ptrField]!, n = this.out[ptrField + 1]!;
    return n > 0 ? utf8.decode(this.mem.subarray(p, p + n)) : "";
  }

  private entry(): TarEntry {
    const o = this.out;
    const e: TarEntry = {
      name: this.str(F.NAME_PTR),
      type: TYPES[o[F.TYPE]!] as TarEntryType,
      mode: o[F.MODE]!,
      uid: o[F.UID]!,
      gid: o[F.GID]!,
      size: o[F.SIZE]!,
      mtime: o[F.MTIME]!,
      mtimeNsec: o[F.NSEC]!,
    };
    const uname = this.str(F.UNAME_PTR), gname = this.str(F.GNAME_PTR);
    if (uname) e.uname = uname;
    if (gname) e.gname = gname;
    if (o[F.LINK_LEN]! >= 0) e.linkname = this.str(F.LINK_PTR);
    if (e.type === "char" || e.type === "block") {
      e.devmajor = o[F.DEVMAJOR]!;
      e.devminor = o[F.DEVMINOR]!;
    }
    const nx = o[F.XATTR_COUNT]!;
    if (nx > 0) {
      const t = new Uint32Array(this.w.memory.buffer, o[F.XATTR_PTR]!, nx * 4);
      const xattrs: Record<string, Uint8Array> = {};
      for (let i = 0; i < nx; i++) {
        const k = utf8.decode(this.mem.subarray(t[i * 4]!, t[i * 4]! + t[i * 4 + 1]!));
        xattrs[k] = this.mem.slice(t[i * 4 + 2]!, t[i * 4 + 2]! + t[i * 4 + 3]!);
      }
      e.xattrs = xattrs;
    }
    return e;
  }

  private fail(internal?: number): TarFormatError {
    const w = this.w;
    const code = internal ?? w.tr_error();
    w.tr_err_name();
    let name: string | undefined = this.str(F.NAME_PTR);
    const [short, text] = MESSAGES[code] ?? ["internal", `parser error ${code}`];
    let msg = text;
    if (code === 2) {
      const t = w.tr_error_type();
      msg = `unsupported entry type ${t >= 0x20 && t < 0x7f ? `'${String.fromCharCode(t)}'` : `0x${t.toString(16)}`}`;
    }
    if (code === 1 || code === 4 || code === 5 || code === 13) name = undefined; // garbage or absent
    if (name !== undefined) name = name.replace(/^(\.\/|\/)+/, "");
    this.error = new TarFormatError(short, `${msg} (at byte ${w.tr_offset()})`, name || undefined);
    return this.error;
  }
}

/**
 * Lists a tar file's entries without reading bodies that the file lets us seek over (what `tar -tf`
 * does for a regular file). Throws TarFormatError like readTar.
 */
export function* listTarFile(path: string): Generator<TarEntry> {
  const fd = openSync(path, "r");
  try {
    const p = new TarParser();
    p.dropData = true;
    const buf = new Uint8Array(16 << 10);
    const evs: TarEvent[] = [];
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      evs.length = 0;
      if (n === 0) p.end(evs);
      else p.push(buf.subarray(0, n), evs);
      for (const ev of evs) {
        if (ev.type === "entry") yield ev.entry;
        else if (ev.type === "end") return;
      }
      pos += n + p.skip();
    }
  } finally {
    closeSync(fd);
  }
}

export interface TarItem {
  entry: TarEntry;
  /** the entry's content; skipped automatically if not consumed before the next entry is requested */
  body: AsyncIterable<Uint8Array>;
}

/**
 * Reads a tar stream entry by entry. Throws TarFormatError for malformed or unsupported archives.
 * Hand-written iterators rather than async generators: they resolve at once when the parsed queue
 * already holds the next event, which halves the per-entry cost on archives of small files.
 */
export function readTar(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<TarItem> {
  const it: Iterator<Uint8Array> | AsyncIterator<Uint8Array> = Symbol.asyncIterator in source
    ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  return new TarReadIterator(it) as unknown as AsyncGenerator<TarItem>;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

class TarReadIterator {
  private readonly parser = new TarParser();
  private queue: TarEvent[] = [];
  private qi = 0;
  private eof = false;
  private closed = false;
  /** bumped on every next(): a body from an earlier entry stops yielding */
  private seq = 0;

  constructor(private readonly it: Iterator<Uint8Array> | AsyncIterator<Uint8Array>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ensures queue[qi] exists; false only if the source ended and nothing is left. */
  private async fill(): Promise<boolean> {
    while (this.qi >= this.queue.length) {
      if (this.eof) return false;
      this.queue = [];
      this.qi = 0;
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        this.parser.end(this.queue);
      } else {
        this.parser.push(r.value, this.queue);
      }
    }
    return true;
  }

  async next(): Promise<IteratorResult<TarItem, undefined>> {
    if (this.closed) return DONE;
    const mine = ++this.seq;
    try {
      for (;;) {
        if (this.qi >= this.queue.length && !(await this.fill())) return await this.return();
        const ev = this.queue[this.qi++]!;
        if (ev.type === "data") continue; // body the consumer did not read
        if (ev.type === "end") return await this.return();
        return { done: false, value: { entry: ev.entry, body: this.body(mine) } };
      }
    } catch (e) {
      await this.return();
      throw e;
    }
  }

  private body(mine: number): AsyncIterable<Uint8Array> {
    const self = this;
    return {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<Uint8Array, undefined>> {
          if (mine !== self.seq || self.closed) return DONE;
          if (self.qi >= self.queue.length && !(await self.fill())) return DONE;
          const ev = self.queue[self.qi]!;
          if (ev.type !== "data") return DONE;
          self.qi++;
          return { done: false, value: ev.data };
        },
      }),
    };
  }

  /** Stops reading; releases the source if it was not read to its end. */
  async return(): Promise<IteratorReturnResult<undefined>> {
    if (!this.closed) {
      this.closed = true;
      if (!this.eof) await this.it.return?.();
    }
    return DONE;
  }

  async throw(e: unknown): Promise<never> {
    await this.return();
    throw e;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
