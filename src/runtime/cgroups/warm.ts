/**
 * Moving a process into a cgroup takes the kernel's global threadgroup rwsem for writing. When nobody
 * moved anything lately, that first waits for an RCU grace period (measured 6-16 ms here, once per
 * burst of moves), and the rwsem stays ready for one more grace period after the last writer.
 * `warmAttach` writes our own pid into the cgroup we are already in (a move to where we are: nothing
 * changes) on Bun's thread pool, so that wait starts at once and overlaps the engine's other work; the
 * real move of a container's init a few ms later finds the rwsem ready. Best effort: errors are ignored.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export function warmAttach(root = "/sys/fs/cgroup"): void {
  let target: string | null;
  try {
    target = warmTarget(readFileSync("/proc/self/cgroup", "utf8"), root);
  } catch {
    return;
  }
  if (target) writeFile(target, String(process.pid)).catch(() => {});
}

/**
 * The cgroup.procs file of the cgroup we are in, from /proc/self/cgroup's text: any hierarchy will do
 * (the rwsem is global), a v1 controller's on hybrid hosts, else the unified one's.
 */
export function warmTarget(procSelfCgroup: string, root: string): string | null {
  const lines = procSelfCgroup.split("\n").map((l) => l.split(":"));
  const v1 = lines.find((f) => f.length >= 3 && f[1]!.split(",").includes("memory"));
  if (v1) return join(root, "memory", v1.slice(2).join(":"), "cgroup.procs");
  const v2 = lines.find((f) => f.length >= 3 && f[0] === "0" && f[1] === "");
  if (v2) return join(root, v2.slice(2).join(":"), "cgroup.procs");
  return null;
}
