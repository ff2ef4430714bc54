/**
 * tarDirectory: a directory tree as a deterministic tar stream. Children are visited in byte order,
 * hardlinks become link entries to the first path seen (by dev+ino), no user/group name lookups, and
 * the mtime/uid/gid policies are applied before encoding, so the same tree always gives the same bytes.
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from "node:fs";
import type { Sys } from "../../sys/sys.ts";
import { byteOrder, defaultXattrFilter, entryFromStat, readExactly, readXattrs, typeOfStat, type MtimePolicy } from "./fsutil.ts";
import type { TarEntry } from "./types.ts";
import { TarWriter } from "./writer.ts";

export interface TarDirectoryOptions {
  /** "keep" (default), a number to set every mtime, or { clamp } to cap them (SOURCE_DATE_EPOCH style) */
  mtime?: MtimePolicy;
  /** write sub-second mtimes (pax); off by default */
  keepNsec?: boolean;
  uid?: number;
  gid?: number;
  /** prepended to every name, e.g. "rootfs" gives "rootfs/etc/passwd" */
  prefix?: string;
  /** emit an entry for the root directory itself ("." or the prefix) */
  includeRoot?: boolean;
  /** to read xattrs; without it none are archived */
  sys?: Sys;
  /** which xattrs to keep (default: all but trusted.overlay.*) */
  xattrFilter?: (name: string) => boolean;
  /** fixed user/group names written into every header (default: none) */
  uname?: string;
  gname?: string;
}

export interface WalkItem {
  /** archive name (prefix applied) */
  name: string;
  /** absolute path on disk */
  path: string;
  st: BigIntStats;
}

/** Depth-first, pre-order, children in byte order. Yields the root itself first (name ""). */
export function* walkTree(root: string): Generator<WalkItem> {
  const st = lstatSync(root, { bigint: true });
  yield { name: "", path: root, st };
  if (st.isDirectory()) yield* walkDir(root, "");
}

function* walkDir(dir: string, rel: string): Generator<WalkItem> {
  const names = readdirSync(dir).sort(byteOrder);
  for (const n of names) {
    const path = `${dir}/${n}`;
    const name = rel ? `${rel}/${n}` : n;
    let st: BigIntStats;
    try {
      st = lstatSync(path, { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // removed while we walked
      throw e;
    }
    yield { name, path, st };
    if (st.isDirectory()) yield* walkDir(path, name);
  }
}

/** Tracks (dev, ino) of multiply-linked non-directories: the second sighting becomes a hardlink. */
export class HardlinkTracker {
  private readonly seen = new Map<string, string>();
  /** the first archive name of this inode, or undefined (and remember `name`) */
  check(st: BigIntStats, name: string): string | undefined {
    if (st.nlink < 2n || st.isDirectory()) return undefined;
    const key = `${st.dev}:${st.ino}`;
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, name);
    return first;
  }
}

/** Builds the TarEntry for a walked item, or null for sockets. */
export function entryFor(item: WalkItem, name: string, opts: TarDirectoryOptions, links: HardlinkTracker): TarEntry | null {
  const type = typeOfStat(item.st);
  if (!type) return null;
  const e = entryFromStat(name, item.st, type, opts);
  if (opts.uname) e.uname = opts.uname;
  if (opts.gname) e.gname = opts.gname;
  const first = links.check(item.st, name);
  if (first !== undefined) {
    e.type = "hardlink";
    e.linkname = first;
    e.size = 0;
    return e;
  }
  if (type === "symlink") e.linkname = readlinkSync(item.path);
  const x = readXattrs(opts.sys, item.path, opts.xattrFilter ?? defaultXattrFilter);
  if (x) e.xattrs = x;
  return e;
}

export function joinName(prefix: string | undefined, name: string): string {
  const p = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (!p) return name;
  return name ? `${p}/${name}` : p;
}

/** The tree under `root` as a tar stream (ends with the end-of-archive marker). */
export async function* tarDirectory(root: string, opts: TarDirectoryOptions = {}): AsyncGenerator<Uint8Array> {
  const w = new TarWriter({ keepNsec: opts.keepNsec });
  const links = new HardlinkTracker();
  for (const item of walkTree(root)) {
    if (item.name === "" && !opts.includeRoot) continue;
    const e = entryFor(item, joinName(opts.prefix, item.name), opts, links);
    if (!e) continue;
    if (e.type === "file" && e.size > 0) yield* w.entry(e, readExactly(item.path, e.size));
    else yield* w.entry(e);
  }
  yield w.finish();
}
