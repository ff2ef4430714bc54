/**
 * Path and device helpers that later layers need and that must go through Sys (never through Node's fs,
 * which may use Bun's thread pool and would then run outside the caller's namespaces).
 */
import {
  AT_FDCWD, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_PATH, O_TMPFILE, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS,
} from "./constants.ts";
import { linuxSys } from "./linux.ts";
import type { Sys } from "./sys.ts";

/**
 * Open `path` as if `root` were "/": absolute symlinks and ".." are confined to `root` by the kernel
 * (openat2 RESOLVE_IN_ROOT), so a hostile image cannot point us at host files. Magic links
 * (/proc/self/fd/...) are refused too. `resolve` adds more RESOLVE_* flags. Returns an fd; pass O_CLOEXEC
 * in `flags` unless the fd is meant to be inherited.
 */
export function openInRoot(sys: Sys, root: string, path: string, flags: number, mode = 0, resolve = 0): number {
  const rootFd = sys.openat(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  try {
    // the kernel refuses a mode without O_CREAT/O_TMPFILE; open(2) would ignore it
    const m = flags & O_CREAT || (flags & O_TMPFILE) === O_TMPFILE ? mode : 0;
    return sys.openat2(rootFd, path === "" ? "." : path, flags, m, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve);
  } finally {
    sys.close(rootFd);
  }
}

/** What an fd refers to, from /proc/self/fd (e.g. to check where an O_PATH fd really landed). */
export function fdPath(fd: number, sys: Sys = linuxSys()): string {
  return sys.readlinkat(AT_FDCWD, `/proc/self/fd/${fd}`);
}

/** glibc's makedev(): the dev_t for mknod, e.g. makeDev(0, 0) for an overlay whiteout. */
export function makeDev(major: number, minor: number): number {
  const ma = BigInt(major >>> 0), mi = BigInt(minor >>> 0);
  const dev = ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
  // Sys.mknodat takes a number; majors >= 2^21 would not survive as one (no such device exists today)
  if (dev > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`makeDev(${major}, ${minor}) exceeds 2^53`);
  return Number(dev);
}

/** glibc's major() of a dev_t (as found in stat's rdev or tar headers' inverse). */
export function devMajor(dev: number | bigint): number {
  const d = BigInt(dev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & 0xffff_f000n));
}

/** glibc's minor() of a dev_t. */
export function devMinor(dev: number | bigint): number {
  const d = BigInt(dev);
  return Number((d & 0xffn) | ((d >> 12n) & 0xffff_ff00n));
}
