/**
 * v1 freezer. Writing FROZEN starts freezing; freezer.state reads FREEZING until every task stopped,
 * and a task in an uninterruptible sleep can hold it there. Like runc, write again while waiting
 * (a FREEZING cgroup can be nudged) and give up after a bound, thawing back so nothing stays half-frozen.
 */
import { CgroupError, type Resources } from "../types.ts";
import { readCgOr, waitFor, writeCg } from "../_fs.ts";
import type { V1Controller } from "./controller.ts";

export const freezerV1: V1Controller = { name: "freezer", apply(_d: string, _r: Resources) {} };

export function freezerState(dir: string): string {
  return readCgOr(dir, "freezer.state", "THAWED");
}

export async function freezeV1(dir: string, timeoutMs: number): Promise<void> {
  writeCg(dir, "freezer.state", "FROZEN");
  const ok = await waitFor(() => {
    const s = freezerState(dir);
    if (s === "FROZEN") return true;
    writeCg(dir, "freezer.state", "FROZEN");
    return false;
  }, timeoutMs);
  if (!ok) {
    writeCg(dir, "freezer.state", "THAWED");
    throw new CgroupError(`cgroup: freezing \`${dir}\` did not finish in ${timeoutMs} ms (state ${freezerState(dir)})`, { path: dir });
  }
}

export async function thawV1(dir: string, timeoutMs: number): Promise<void> {
  writeCg(dir, "freezer.state", "THAWED");
  const ok = await waitFor(() => freezerState(dir) === "THAWED", timeoutMs);
  if (!ok) throw new CgroupError(`cgroup: thawing \`${dir}\` did not finish in ${timeoutMs} ms`, { path: dir });
}
