/** v2 cpuset: an empty cpuset.cpus inherits the parent's, so v1's copy-down trap does not exist here. */
import type { Resources } from "../types.ts";
import { writeCg } from "../_fs.ts";
import type { V2Controller } from "./controller.ts";

export const cpusetV2: V2Controller = {
  name: "cpuset",
  apply(dir: string, r: Resources): void {
    if (r.cpusetCpus) writeCg(dir, "cpuset.cpus", r.cpusetCpus);
    if (r.cpusetMems) writeCg(dir, "cpuset.mems", r.cpusetMems);
  },
};
