/**
 * File-system helpers shared by tarDirectory, the overlay diff and the tree compare: a byte-order name
 * sort (what makes output deterministic across locales), stat -> TarEntry, xattr reads, exact-size reads.
 */
import { closeSync, constants, openSync, readSync, type BigIntStats } from "node:fs";
import type { Sys } from "../../sys/sys.ts";
import type { TarEntry, TarEntryType } from "./types.ts";

/** Compares as UTF-8 bytes do (= code point order), not as JS's UTF-16 code units. */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && x < 0xe000) x += 0x10000; // surrogates encode code points above every BMP char
    if (y >= 0xd800 && y < 0xe000) y += 0x10000;
    return x - y;
  }
  return a.length - b.length;
}

export function typeOfStat(st: BigIntStats): TarEntryType | null {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isFIFO()) return "fifo";
  return null; // sockets cannot be archived
}

/** Linux dev_t split (glibc's gnu_dev_major/minor). */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

export type MtimePolicy = "keep" | number | { clamp: number };

export interface StatEntryOptions {
  mtime?: MtimePolicy;
  uid?: number;
  gid?: number;
}

/** The TarEntry for a lstat result (linkname must be filled in by the caller for symlinks). */
export function entryFromStat(name: string, st: BigIntStats, type: TarEntryType, opts: StatEntryOptions): TarEntry {
  let mtime = Number(st.mtimeNs / 1_000_000_000n);
  let nsec = Number(st.mtimeNs % 1_000_000_000n);
  if (nsec < 0) { mtime -= 1; nsec += 1e9; }
  const p = opts.mtime ?? "keep";
  if (typeof p === "number") { mtime = p; nsec = 0; }
  else if (p !== "keep" && (mtime > p.clamp || (mtime === p.clamp && nsec > 0))) { mtime = p.clamp; nsec = 0; }
  const e: TarEntry = {
    name,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: opts.uid ?? Number(st.uid),
    gid: opts.gid ?? Number(st.gid),
    size: type === "file" ? Number(st.size) : 0,
    mtime,
    mtimeNsec: nsec,
  };
  if (type === "char" || type === "block") {
    e.devmajor = devMajor(st.rdev);
    e.devminor = devMinor(st.rdev);
  }
  return e;
}

/** Overlay's own bookkeeping never belongs in a layer. */
export const defaultXattrFilter = (name: string): boolean => !name.startsWith("trusted.overlay.");

/** All xattrs of a path (not following symlinks), sorted; undefined when there are none or no sys. */
export function readXattrs(
  sys: Sys | undefined, path: string, filter: (name: string) => boolean = defaultXattrFilter,
): Record<string, Uint8Array> | undefined {
  if (!sys) return undefined;
  let names: string[];
  try {
    names = sys.llistxattr(path);
  } catch {
    return undefined; // EOPNOTSUPP and friends: the file system has none to give
  }
  let out: Record<string, Uint8Array> | undefined;
  for (const n of names.filter(filter).sort(byteOrder)) {
    const v = sys.lgetxattr(path, n);
    if (v === null) continue;
    (out ??= {})[n] = v;
  }
  return out;
}

const CHUNK = 1 << 20;

/**
 * Exactly `size` bytes of a regular file: a file that shrank while we read is padded with zeros and one
 * that grew is cut, so the tar stays consistent with the header already written (GNU tar does likewise).
 */
export async function* readExactly(path: string, size: number): AsyncGenerator<Uint8Array> {
  if (size === 0) return;
  yield* readFdExactly(openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NOCTTY), size);
}

/** as readExactly, from an fd this generator takes over (and closes) */
export async function* readFdExactly(fd: number, size: number): AsyncGenerator<Uint8Array> {
  try {
    let pos = 0;
    while (pos < size) {
      const want = Math.min(CHUNK, size - pos);
      const buf = new Uint8Array(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buf, got, want - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      pos += want; // zero-filled tail if the file shrank
      yield buf;
    }
  } finally {
    closeSync(fd);
  }
}
