/**
 * File access for cgroupfs. Every failure becomes a CgroupError naming the file and value, because
 * "write memory.limit_in_bytes: EBUSY" is the whole diagnosis in most cgroup bugs.
 */
import { appendFileSync, closeSync, existsSync, openSync, writeSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupError } from "./types.ts";

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? "EIO";
}

export function writeCg(dir: string, file: string, value: string | number): void {
  const path = join(dir, file);
  try {
    writeFileSync(path, String(value));
  } catch (e) {
    throw new CgroupError(`cgroup: write ${String(value)} to \`${path}\`: ${code(e)}`, { path, code: code(e), cause: e });
  }
}

export function readCg(dir: string, file: string): string {
  const path = join(dir, file);
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new CgroupError(`cgroup: read \`${path}\`: ${code(e)}`, { path, code: code(e), cause: e });
  }
}

/** For files that may legitimately be absent (older kernels, fixture dirs). */
export function readCgOr(dir: string, file: string, fallback: string): string {
  try {
    return readFileSync(join(dir, file), "utf8").trim();
  } catch {
    return fallback;
  }
}

export function hasFile(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) -> map */
export function readKeyed(dir: string, file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readCgOr(dir, file, "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

export function readNumber(dir: string, file: string, fallback = 0): number {
  const s = readCgOr(dir, file, "");
  return /^-?\d+$/.test(s) ? Number(s) : fallback;
}

export function readPids(dir: string): number[] {
  return readCgOr(dir, "cgroup.procs", "")
    .split("\n")
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

/**
 * The pids of `dir` and of every cgroup below it. A container cannot make child cgroups through its
 * read-only /sys/fs/cgroup, but a privileged one can mount cgroupfs itself and move tasks down a level
 * (runc's GetAllPids walks the tree for the same reason).
 */
export function readPidsTree(dir: string): number[] {
  const out = readPids(dir);
  for (const child of subdirs(dir)) out.push(...readPidsTree(join(dir, child)));
  return out;
}

/** child directories (child cgroups on cgroupfs), [] when `dir` is absent */
function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

export function mkdirCg(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new CgroupError(`cgroup: mkdir \`${path}\`: ${code(e)}`, { path, code: code(e), cause: e });
  }
}

/** Real cgroupfs, as opposed to a tempdir of fixture files (which rmdir cannot remove). */
export function isCgroupFs(path: string): boolean {
  try {
    const t = Number(statfsSync(path).type);
    return t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * rmdir a cgroup. On cgroupfs the control files vanish with the dir; EBUSY means tasks are still
 * leaving, so retry briefly. Fixture dirs (not cgroupfs) hold plain files and are removed recursively.
 * Absent dirs are fine: destroy() is idempotent.
 */
export async function rmdirCg(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      rmdirSync(path);
      return;
    } catch (e) {
      const c = code(e);
      if (c === "ENOENT") return;
      if (c === "ENOTEMPTY" && !isCgroupFs(path)) {
        const subdirs = readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory());
        if (subdirs.length === 0) {
          rmSync(path, { recursive: true, force: true });
          return;
        }
      }
      if ((c !== "EBUSY" && c !== "EAGAIN") || Date.now() > deadline) {
        throw new CgroupError(`cgroup: rmdir \`${path}\`: ${c}`, { path, code: c, cause: e });
      }
      await Bun.sleep(delay);
    }
  }
}

/** rmdirCg of `path` and of every cgroup below it, deepest first (rmdir of a cgroup with children is EBUSY) */
export async function rmdirTree(path: string, timeoutMs: number): Promise<void> {
  for (const child of subdirs(path)) await rmdirTree(join(path, child), timeoutMs);
  await rmdirCg(path, timeoutMs);
}

/** Poll `done` with a small back-off until it is true or `timeoutMs` passes. */
export async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    if (done()) return true;
    if (Date.now() > deadline) return false;
    await Bun.sleep(delay);
  }
}

/**
 * One write(2) opened with O_APPEND: for files that take one item per write (cgroup.procs,
 * devices.allow). On cgroupfs it is a plain write; in a fixture dir the items accumulate for tests.
 */
export function appendCg(dir: string, file: string, value: string | number): void {
  const path = join(dir, file);
  try {
    appendFileSync(path, `${value}\n`);
  } catch (e) {
    throw new CgroupError(`cgroup: write ${String(value)} to \`${path}\`: ${code(e)}`, { path, code: code(e), cause: e });
  }
}

/** appendCg for several values through one open file: one write(2) each (files that parse one rule per write) */
export function appendCgEach(dir: string, file: string, values: readonly string[]): void {
  const path = join(dir, file);
  let fd: number;
  try {
    fd = openSync(path, "a");
  } catch (e) {
    throw new CgroupError(`cgroup: write ${values[0] ?? ""} to \`${path}\`: ${code(e)}`, { path, code: code(e), cause: e });
  }
  try {
    for (const v of values) {
      try {
        writeSync(fd, `${v}\n`);
      } catch (e) {
        throw new CgroupError(`cgroup: write ${v} to \`${path}\`: ${code(e)}`, { path, code: code(e), cause: e });
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Best-effort synchronous removal of a cgroup dir that no task joined yet (fixtures: recursively). */
export function removeEmpty(path: string): void {
  try {
    if (isCgroupFs(path)) rmdirSync(path);
    else rmSync(path, { recursive: true, force: true });
  } catch {
    // already gone, or busy: destroy()/cleanupOrphans() will see it
  }
}
