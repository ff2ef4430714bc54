/**
 * Process identity checks. A pid recorded in a file may belong to an unrelated process by the time we
 * read it (the container died, the pid was reused), so a pid is only trusted, and only signalled, when
 * its /proc/<pid>/stat start time equals the one recorded when it was launched.
 */
import { readFileSync } from "node:fs";

/** field 22 of /proc/<pid>/stat (clock ticks since boot), or null when the process is gone */
export function procStartTime(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm (field 2) may hold spaces and parentheses: split after the last ')'
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state); a zombie is already dead for our purposes
    if (rest[0] === "Z" || rest[0] === "X") return null;
    return Number(rest[19]);
  } catch {
    return null;
  }
}

export function isAlive(pid: number, startTime: number): boolean {
  return pid > 0 && procStartTime(pid) === startTime;
}

/**
 * Signals pid only when it is still the process we launched. Returns false when it is gone (or is now
 * someone else). The window between the check and kill(2) is a few microseconds; the kernel would need
 * to wrap the pid space in between.
 */
export function signalIfSame(pid: number, startTime: number, signal: number): boolean {
  if (!isAlive(pid, startTime)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(pid: number, startTime: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  while (isAlive(pid, startTime)) {
    if (Date.now() >= deadline) return false;
    await Bun.sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

/** /proc/<pid>/stat fields used by top and stats */
export function procStat(pid: number): { ppid: number; utime: number; stime: number; start: number; comm: string; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0]!, ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]), start: Number(rest[19]), comm };
  } catch {
    return null;
  }
}
