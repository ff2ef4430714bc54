/**
 * Deterministic tar writer. Headers are encoded by wasm/tar_write.c (ustar, plus a pax 'x' record only
 * when ustar cannot hold a value); bodies pass through untouched. Output chunks are returned to the
 * caller (arrays for in-memory data, an async generator for streamed data), so backpressure is simply
 * the caller's iteration.
 */
import { TarFormatError } from "./errors.ts";
import type { TarEntry } from "./types.ts";
import { A, TYPES, sharedInstance } from "./wasm.ts";

export interface TarWriterOptions {
  /** write sub-second mtimes as pax records (off by default: whole seconds are reproducible everywhere) */
  keepNsec?: boolean;
}

const TYPE_CODE = new Map<string, number>(TYPES.map((t, i) => [t, i]));
const ZEROS = new Uint8Array(1024);
const enc = new TextEncoder();

/** Two zero blocks: the end-of-archive marker. */
export const END_OF_ARCHIVE: Uint8Array = ZEROS;

/** 512-byte padding after `size` bytes of body (a shared zero view: do not write into it). */
export function padding(size: number): Uint8Array | null {
  const r = size % 512;
  return r === 0 ? null : ZEROS.subarray(0, 512 - r);
}

// views into the shared instance, made once: its memory never grows, so they never detach
let views: { w: ReturnType<typeof sharedInstance>; mem: Uint8Array; args: Float64Array; inPtr: number; cap: number; outPtr: number } | undefined;
function encoder(): NonNullable<typeof views> {
  if (!views) {
    const w = sharedInstance();
    views = {
      w, mem: new Uint8Array(w.memory.buffer), args: new Float64Array(w.memory.buffer, w.tw_args(), 20),
      inPtr: w.tw_in(), cap: w.tw_in_size(), outPtr: w.tw_out(),
    };
  }
  return views;
}

/** Encodes the header block(s) for an entry: 512 bytes, or more when pax records are needed. */
export function encodeHeader(e: TarEntry, opts: TarWriterOptions = {}): Uint8Array {
  const { w, mem, args, inPtr, cap, outPtr } = encoder();
  const type = TYPE_CODE.get(e.type);
  if (type === undefined) throw new TarFormatError("type", `unsupported entry type ${e.type}`, e.name);
  let off = 0;
  const put = (s: string, fa: number): void => {
    // encodeInto writes straight into WASM memory; a string needs at most 3 bytes per UTF-16 unit
    if (off + s.length * 3 > cap) throw new TarFormatError("size", "name or value too long", e.name);
    const r = enc.encodeInto(s, mem.subarray(inPtr + off));
    args[fa] = off;
    args[fa + 1] = r.written;
    off += r.written;
  };
  put(e.name, A.NAME_OFF);
  put(e.type === "symlink" || e.type === "hardlink" ? e.linkname ?? "" : "", A.LINK_OFF);
  put(e.uname ?? "", A.UNAME_OFF);
  put(e.gname ?? "", A.GNAME_OFF);
  const xs = e.xattrs ? Object.keys(e.xattrs).sort() : [];
  if (xs.length) {
    // table of (key off, key len, value off, value len) u32s, values copied as raw bytes
    off = (off + 3) & ~3;
    const tab = off;
    off += xs.length * 16;
    const t = new Uint32Array(w.memory.buffer, inPtr + tab, xs.length * 4);
    xs.forEach((k, i) => {
      const v = e.xattrs![k]!;
      const r = enc.encodeInto(k, mem.subarray(inPtr + off, inPtr + cap));
      t[i * 4] = off;
      t[i * 4 + 1] = r.written;
      off += r.written;
      if (off + v.length > cap) throw new TarFormatError("size", "xattrs too large", e.name);
      mem.set(v, inPtr + off);
      t[i * 4 + 2] = off;
      t[i * 4 + 3] = v.length;
      off += v.length;
    });
    args[A.XATTR_OFF] = tab;
  } else {
    args[A.XATTR_OFF] = 0;
  }
  args[A.XATTR_N] = xs.length;
  args[A.TYPE] = type;
  args[A.MODE] = e.mode & 0o7777;
  args[A.UID] = checkInt(e.uid, 0xffffffff, "uid", e.name);
  args[A.GID] = checkInt(e.gid, 0xffffffff, "gid", e.name);
  args[A.SIZE] = e.type === "file" ? checkInt(e.size, Number.MAX_SAFE_INTEGER, "size", e.name) : 0;
  args[A.MTIME] = Math.floor(e.mtime);
  args[A.NSEC] = e.mtimeNsec > 0 && e.mtimeNsec < 1e9 ? Math.floor(e.mtimeNsec) : 0;
  args[A.DEVMAJOR] = e.devmajor ?? 0;
  args[A.DEVMINOR] = e.devminor ?? 0;
  args[A.FLAGS] = opts.keepNsec ? 1 : 0;
  const n = w.tw_encode();
  if (n < 0) {
    const why = n === -2 ? "device number too large" : n === -1 ? "pax header larger than 1 MiB" : "invalid entry";
    throw new TarFormatError("encode", why, e.name);
  }
  return mem.slice(outPtr, outPtr + n);
}

function checkInt(v: number, max: number, what: string, name: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new TarFormatError("encode", `invalid ${what} ${v}`, name);
  return v;
}

export class TarWriter {
  private finished = false;
  constructor(private readonly opts: TarWriterOptions = {}) {}

  /** Header, body and padding for one entry. Body length must equal e.size (files) or be empty. */
  entry(e: TarEntry, data?: Uint8Array): Uint8Array[];
  entry(e: TarEntry, data: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array>;
  entry(e: TarEntry, data?: Uint8Array | AsyncIterable<Uint8Array>): Uint8Array[] | AsyncGenerator<Uint8Array> {
    if (this.finished) throw new Error("TarWriter: entry() after finish()");
    const size = e.type === "file" ? e.size : 0;
    if (data === undefined || data instanceof Uint8Array) {
      const len = data?.length ?? 0;
      if (len !== size) throw new TarFormatError("size", `body is ${len} bytes, header says ${size}`, e.name);
      const out = [encodeHeader(e, this.opts)];
      if (len) {
        out.push(data!);
        const p = padding(len);
        if (p) out.push(p);
      }
      return out;
    }
    return this.streamed(e, size, data);
  }

  private async *streamed(e: TarEntry, size: number, data: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    yield encodeHeader(e, this.opts);
    let seen = 0;
    for await (const chunk of data) {
      seen += chunk.length;
      if (seen > size) throw new TarFormatError("size", `body longer than the ${size} bytes in its header`, e.name);
      if (chunk.length) yield chunk;
    }
    if (seen !== size) throw new TarFormatError("size", `body is ${seen} bytes, header says ${size}`, e.name);
    const p = padding(size);
    if (p) yield p;
  }

  /** The end-of-archive marker (two zero blocks). */
  finish(): Uint8Array {
    this.finished = true;
    return END_OF_ARCHIVE;
  }
}
