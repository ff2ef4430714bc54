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
  let target: string | undefined;
  try {
    const lines = readFileSync("/proc/self/cgroup", "utf8").split("\n");
    // any hierarchy will do (the rwsem is global): a v1 controller on hybrid hosts, else the unified one
    const v1 = lines.map((l) => l.split(":")).find((f) => f.length >= 3 && f[1]!.split(",").includes("memory"));
    const v2 = lines.find((l) => l.startsWith("0::"));
    if (v1) target = join(root, "memory", v1.slice(2).join(":"), "cgroup.procs");
    else if (v2) target = join(root, v2.slice(3), "cgroup.procs");
  } catch {
    return;
  }
  if (target) writeFile(target, String(process.pid)).catch(() => {});
}
