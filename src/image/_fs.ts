/**
 * File helpers for the stores: atomic writes (temp + fsync + rename + fsync of the directory) and flock
 * locks on files or directories. A lock is held by an open fd, so it vanishes when its process dies:
 * crash debris is told apart from work in progress by trying its lock, never by guessing from age alone.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, constants as C } from "node:fs";
import { dirname } from "node:path";
import { Errno, linuxSys, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, SysError } from "../sys/index.ts";

/** suffix of temp files written by atomicWrite; the repair pass removes strays */
export const TMP_SUFFIX = ".tmp";

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` so that readers see the old content or the new, never a part. */
export function atomicWrite(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}${TMP_SUFFIX}`;
  const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL, mode);
  try {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === code;
}

/** An flock held through an open fd; `release` is idempotent. */
export class FileLock {
  private constructor(
    readonly path: string,
    private fd: number,
  ) {}

  /** Opens (creating a regular file unless it is a directory) and locks without waiting; null when held elsewhere. */
  static tryAcquire(path: string, shared = false): FileLock | null {
    const fd = openLockFd(path);
    try {
      linuxSys().flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB);
      return new FileLock(path, fd);
    } catch (err) {
      closeSync(fd);
      if (err instanceof SysError && err.errno === Errno.EAGAIN) return null;
      throw err;
    }
  }

  /**
   * Waits for the lock, polling so the event loop keeps running (a blocking flock would freeze timers and
   * streams of this process). Holders keep these locks for milliseconds, except an import's own work dirs.
   */
  static async acquire(path: string, opts: { shared?: boolean; timeoutMs?: number } = {}): Promise<FileLock> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    let delay = 2;
    for (;;) {
      const lock = FileLock.tryAcquire(path, opts.shared);
      if (lock) return lock;
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  release(): void {
    if (this.fd < 0) return;
    try {
      linuxSys().flock(this.fd, LOCK_UN);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

function openLockFd(path: string): number {
  try {
    return openSync(path, C.O_RDONLY | C.O_DIRECTORY);
  } catch (err) {
    if (!isErrno(err, "ENOTDIR") && !isErrno(err, "ENOENT")) throw err;
  }
  ensureDir(dirname(path));
  return openSync(path, C.O_RDWR | C.O_CREAT, 0o600);
}
