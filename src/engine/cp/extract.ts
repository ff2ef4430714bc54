/**
 * Unpacking a tar into a directory inside a root without trusting the root. Each entry's parent is
 * resolved from the root fd with openat2(RESOLVE_IN_ROOT) at the moment it is used (a container that
 * swaps a directory for a symlink meanwhile only redirects us inside its own root), and the entry is
 * created by name relative to that parent fd: O_CREAT|O_EXCL|O_NOFOLLOW files, mkdir/symlink/link/mknod
 * through /proc/self/fd/<parent>/<name> (one final component, never followed). Metadata goes through
 * the created object's own fd (fchown/fchmod/futimes) or with AT_SYMLINK_NOFOLLOW, so it cannot land
 * on a path the container points elsewhere. Names are plain data: ".wh." files are files here.
 */
import { closeSync, fchmodSync, fchownSync, futimesSync, linkSync, lstatSync, mkdirSync, symlinkSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_WRONLY, RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, S_IFBLK, S_IFCHR, S_IFIFO } from "../../sys/constants.ts";
import { Errno, SysError } from "../../sys/errors.ts";
import { makeDev } from "../../sys/paths.ts";
import type { Sys } from "../../sys/sys.ts";
import { readTar } from "../../image/tar/reader.ts";
import { cleanParts } from "../../image/tar/rootpath.ts";
import type { TarEntry } from "../../image/tar/types.ts";
import { BunkerError } from "../../errors.ts";
import { openInRootRetry } from "./read.ts";

const ONE_NAME = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

export interface ExtractOptions {
  /** owner of everything written; null keeps the archive's numbers (cp -a) */
  owner: { uid: number; gid: number } | null;
  /** renames the archive's first path component (Docker's RebaseArchiveEntries) */
  rebase?: { from: string; to: string };
}

const fdPath = (fd: number, name: string) => `/proc/self/fd/${fd}/${name}`;

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** Unpacks `stream` into `dir` (a directory inside the root, which must exist). */
export async function extractInRoot(sys: Sys, rootFd: number, dir: string, stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, o: ExtractOptions): Promise<void> {
  const base = cleanParts(dir);
  const dirTimes: Array<[string[], TarEntry]> = [];
  const umask = sys.umask(0); // modes exactly as archived; restored below
  try {
    for await (const { entry, body } of readTar(stream)) {
      let parts = cleanParts(entry.name);
      if (o.rebase && parts[0] === o.rebase.from) parts = [...cleanParts(o.rebase.to), ...parts.slice(1)];
      const uid = o.owner ? o.owner.uid : entry.uid, gid = o.owner ? o.owner.gid : entry.gid;
      if (parts.length === 0) continue; // "." is the destination itself: left as it is
      const leaf = parts.at(-1)!;
      const parent = openDir(sys, rootFd, [...base, ...parts.slice(0, -1)]);
      try {
        const p = fdPath(parent, leaf);
        const old = lstatOrNull(p);
        if (old) {
          if (old.isDirectory() && entry.type === "dir") {
            // merge into the existing directory: only its metadata is updated
            withOpened(sys, parent, leaf, O_RDONLY | O_DIRECTORY, (fd) => meta(fd, entry, uid, gid));
            dirTimes.push([[...base, ...parts], entry]);
            continue;
          }
          if (old.isDirectory()) throw new BunkerError(`cannot overwrite directory "/${[...base, ...parts].join("/")}" with non-directory "${entry.name}"`);
          if (entry.type === "dir") throw new BunkerError(`cannot overwrite non-directory "/${[...base, ...parts].join("/")}" with directory "${entry.name}"`);
          unlinkSync(p);
        }
        switch (entry.type) {
          case "file": {
            const fd = sys.openat2(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, entry.mode & 0o777, ONE_NAME);
            try {
              for await (const c of body) for (let off = 0; off < c.length; ) off += writeSync(fd, c, off);
              meta(fd, entry, uid, gid);
            } finally {
              closeSync(fd);
            }
            break;
          }
          case "dir":
            mkdirSync(p, { mode: 0o700 });
            withOpened(sys, parent, leaf, O_RDONLY | O_DIRECTORY, (fd) => meta(fd, entry, uid, gid));
            dirTimes.push([[...base, ...parts], entry]);
            break;
          case "symlink":
            symlinkSync(entry.linkname ?? "", p);
            sys.fchownat(parent, leaf, uid, gid, AT_SYMLINK_NOFOLLOW);
            sys.utimensat(parent, leaf, { sec: entry.mtime, nsec: 0 }, { sec: entry.mtime, nsec: entry.mtimeNsec }, AT_SYMLINK_NOFOLLOW);
            break;
          case "hardlink": {
            let target = cleanParts(entry.linkname ?? "");
            if (o.rebase && target[0] === o.rebase.from) target = [...cleanParts(o.rebase.to), ...target.slice(1)];
            if (target.length === 0) throw new BunkerError(`invalid hardlink ${entry.name}`);
            const tp = openDir(sys, rootFd, [...base, ...target.slice(0, -1)]);
            try {
              linkSync(fdPath(tp, target.at(-1)!), p); // link(2) never follows the old name
            } finally {
              sys.close(tp);
            }
            break;
          }
          case "char":
          case "block":
          case "fifo": {
            const kind = entry.type === "char" ? S_IFCHR : entry.type === "block" ? S_IFBLK : S_IFIFO;
            sys.mknodat(parent, leaf, kind | (entry.mode & 0o7777), makeDev(entry.devmajor ?? 0, entry.devminor ?? 0));
            sys.fchownat(parent, leaf, uid, gid, AT_SYMLINK_NOFOLLOW);
            break;
          }
        }
      } finally {
        sys.close(parent);
      }
    }
    // directory times last: writing children changed them
    for (const [parts, e] of dirTimes.reverse()) {
      try {
        const parent = openDir(sys, rootFd, parts.slice(0, -1));
        try {
          withOpened(sys, parent, parts.at(-1)!, O_RDONLY | O_DIRECTORY, (fd) => futimesSync(fd, e.mtime, e.mtime + e.mtimeNsec / 1e9));
        } finally {
          sys.close(parent);
        }
      } catch {
        // gone or replaced meanwhile: nothing to date
      }
    }
  } finally {
    sys.umask(umask);
  }
}

/** chown before chmod (chown clears set-id bits), then the times */
function meta(fd: number, e: TarEntry, uid: number, gid: number): void {
  fchownSync(fd, uid, gid);
  fchmodSync(fd, e.mode & 0o7777);
  futimesSync(fd, e.mtime, e.mtime + e.mtimeNsec / 1e9);
}

function withOpened(sys: Sys, parent: number, name: string, flags: number, fn: (fd: number) => void): void {
  const fd = sys.openat2(parent, name, flags | O_NOFOLLOW | O_CLOEXEC, 0, ONE_NAME);
  try {
    fn(fd);
  } finally {
    sys.close(fd);
  }
}

/**
 * O_PATH fd of the directory `parts` inside the root; missing components are made (0755, as Docker's
 * untar does for archives without directory entries), each through its already-resolved parent.
 */
export function openDir(sys: Sys, rootFd: number, parts: string[]): number {
  const rel = parts.length ? parts.join("/") : ".";
  try {
    return openInRootRetry(sys, rootFd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.ENOENT || parts.length === 0) throw e;
  }
  const parent = openDir(sys, rootFd, parts.slice(0, -1));
  try {
    try {
      mkdirSync(fdPath(parent, parts.at(-1)!), { mode: 0o755 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    return sys.openat2(parent, parts.at(-1)!, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, ONE_NAME);
  } finally {
    sys.close(parent);
  }
}
