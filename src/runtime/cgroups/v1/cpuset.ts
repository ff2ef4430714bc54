/**
 * v1 cpuset. The classic trap: a new cpuset cgroup starts with empty cpuset.cpus/mems (unless
 * cgroup.clone_children is set), and adding a task to it fails with ENOSPC. So every dir we create,
 * parent first, gets its parent's values copied in before anything joins.
 */
import { dirname } from "node:path";
import type { Resources } from "../types.ts";
import { readCgOr, writeCg } from "../_fs.ts";
import type { V1Controller } from "./controller.ts";

export const cpusetV1: V1Controller = {
  name: "cpuset",
  prepare(_root: string, dirs: string[]): void {
    for (const dir of dirs) {
      for (const file of ["cpuset.cpus", "cpuset.mems"]) {
        if (readCgOr(dir, file, "") === "") writeCg(dir, file, readCgOr(dirname(dir), file, ""));
      }
    }
  },
  apply(dir: string, r: Resources): void {
    if (r.cpusetCpus) writeCg(dir, "cpuset.cpus", r.cpusetCpus);
    if (r.cpusetMems) writeCg(dir, "cpuset.mems", r.cpusetMems);
  },
};
