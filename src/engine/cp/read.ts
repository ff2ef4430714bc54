/**
 * Reading a tree inside a root without trusting it. The start is resolved with openat2(RESOLVE_IN_ROOT)
 * from the root fd; below it every step is one name opened relative to its parent's fd with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS and O_NOFOLLOW, so a symlink, or a directory swapped for one while
 * we walk, is archived as a symlink and never followed. File bodies are read through the O_PATH fd that
 * was stat'ed (reopened via /proc/self/fd), so what is read is the inode that was checked: never a
 * device or FIFO that replaced it. Owners are numbers; no name lookups (cp loads nothing from the
 * container).
 */
import { closeSync, fstatSync, openSync, readdirSync, type BigIntStats } from "node:fs";
import { Errno, SysError } from "../../sys/errors.ts";
import { O_CLOEXEC, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from "../../sys/constants.ts";
import type { Sys } from "../../sys/sys.ts";
import { byteOrder, entryFromStat, readFdExactly, typeOfStat } from "../../image/tar/fsutil.ts";
import type { TarEntry } from "../../image/tar/types.ts";
import { TarWriter } from "../../image/tar/writer.ts";

export const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
const ONE_NAME = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

/** `rel` inside the root, relative form for openat2 ("" and "/" are the root itself) */
export function relPath(p: string): string {
  const r = p.replace(/^\/+/, "").replace(/\/+$/, "");
  return r === "" ? "." : r;
}

/**
 * openat2 with RESOLVE_IN_ROOT, retried on EAGAIN: the kernel answers EAGAIN when a ".." step raced
 * with any mount or rename on the system (it cannot prove the walk stayed inside), and asks callers
 * to try again.
 */
export function openInRootRetry(sys: Sys, rootFd: number, rel: string, flags: number): number {
  for (let i = 0; ; i++) {
    try {
      return sys.openat2(rootFd, rel, flags, 0, IN_ROOT);
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN || i >= 100) throw e;
    }
  }
}

/** O_PATH fd of `rel` inside the root (the last component followed only when `follow`), or null */
export function openPath(sys: Sys, rootFd: number, rel: string, follow: boolean): number | null {
  try {
    return openInRootRetry(sys, rootFd, relPath(rel), O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  } catch (e) {
    if (e instanceof SysError && (e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR)) return null;
    throw e;
  }
}

export function fstat(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/** the stat of `rel` inside the root, or null when it does not exist */
export function statIn(sys: Sys, rootFd: number, rel: string, follow: boolean): BigIntStats | null {
  const fd = openPath(sys, rootFd, rel, follow);
  if (fd === null) return null;
  try {
    return fstat(fd);
  } finally {
    sys.close(fd);
  }
}

export interface TarInRootOptions {
  /** archive name of the start ("" = the start is the archive root: only its contents are written) */
  name: string;
  /** follow a symlink at the start (cp -L) */
  follow: boolean;
}

/** The tree at `rel` inside the root as a tar stream. */
export async function* tarInRoot(sys: Sys, rootFd: number, rel: string, o: TarInRootOptions): AsyncGenerator<Uint8Array> {
  const fd = openPath(sys, rootFd, rel, o.follow);
  if (fd === null) throw new SysError("openat2", Errno.ENOENT, rel);
  const w = new TarWriter();
  const links = new Map<string, string>();
  try {
    yield* emit(sys, w, links, fd, o.name);
  } finally {
    sys.close(fd);
  }
  yield w.finish();
}

async function* emit(sys: Sys, w: TarWriter, links: Map<string, string>, fd: number, name: string): AsyncGenerator<Uint8Array> {
  const st = fstat(fd);
  const type = typeOfStat(st);
  if (!type) return; // sockets have no tar form
  if (name !== "") {
    const e: TarEntry = entryFromStat(name, st, type, {});
    if (type === "symlink") e.linkname = sys.readlinkat(fd, "");
    if (type !== "dir" && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        yield* w.entry({ ...e, type: "hardlink", linkname: first, size: 0 });
        return;
      }
      links.set(key, name);
    }
    if (type === "file" && e.size > 0) yield* w.entry(e, body(fd, e.size));
    else yield* w.entry(e);
  }
  if (type !== "dir") return;
  let names: string[];
  try {
    names = readdirSync(`/proc/self/fd/${fd}`).sort(byteOrder);
  } catch {
    return; // unreadable or removed meanwhile: its entry is written, its contents are not there to copy
  }
  for (const n of names) {
    let child: number;
    try {
      child = sys.openat2(fd, n, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, ONE_NAME);
    } catch (e) {
      if (e instanceof SysError && (e.errno === Errno.ENOENT || e.errno === Errno.EXDEV)) continue;
      throw e;
    }
    try {
      yield* emit(sys, w, links, child, name === "" ? n : `${name}/${n}`);
    } finally {
      sys.close(child);
    }
  }
}

/** exactly `size` bytes of the file behind an O_PATH fd: padded if it shrank, cut if it grew */
async function* body(pathFd: number, size: number): AsyncGenerator<Uint8Array> {
  yield* readFdExactly(openSync(`/proc/self/fd/${pathFd}`, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), size);
}
