/** Facts about a process from /proc, used to never mistake a recycled pid for our container. */
import { readFileSync } from "node:fs";

/**
 * Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null when the process is gone.
 * The comm field may hold spaces and parentheses, so fields are counted after the last ")".
 */
export function readStartTime(pid: number, fs: { readFile(path: string): string } = { readFile: (p) => readFileSync(p, "utf8") }): number | null {
  let text: string;
  try {
    text = fs.readFile(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const v = Number(fields[19]); // fields[0] is field 3 (state)
  return Number.isFinite(v) ? v : null;
}
