/**
 * Small file primitives for container state: atomic JSON writes (temp + fsync + rename, so a reader or
 * a crash never sees half a file) and flock-guarded sections. The lock files live in the run dir, so a
 * reboot clears them along with every other stale runtime file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { dirs } from "../../config.ts";
import { LOCK_EX, LOCK_UN } from "../../sys/constants.ts";
import { LinuxSys } from "../../sys/linux.ts";

let sys: LinuxSys | undefined;
const linux = () => (sys ??= new LinuxSys());

export function writeJsonAtomic(path: string, value: unknown, sync = true): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(value));
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmQuiet(tmp);
    throw err;
  }
}

/** null when the file does not exist or is unreadable (a container being removed right now) */
export function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return null;
  }
}

export function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

/**
 * Runs `fn` holding an exclusive flock on run/locks/<name>.lock. Synchronous on purpose: the sections
 * are a read-modify-write of one small file, and a blocking flock on the main thread cannot interleave
 * with other JS work of this process.
 */
export function withLock<T>(name: string, fn: () => T): T {
  const path = join(dirs.locks(), `${name}.lock`);
  let fd: number;
  try {
    fd = openSync(path, "a", 0o600);
  } catch {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, "a", 0o600);
  }
  try {
    linux().flock(fd, LOCK_EX);
    return fn();
  } finally {
    try {
      linux().flock(fd, LOCK_UN);
    } catch {}
    closeSync(fd);
  }
}
