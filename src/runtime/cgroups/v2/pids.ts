/** v2 pids: pids.max ("max" for Docker's 0 / -1). */
import type { Resources } from "../types.ts";
import { writeCg } from "../_fs.ts";
import { maxOr } from "../validate.ts";
import type { V2Controller } from "./controller.ts";

export const pidsV2: V2Controller = {
  name: "pids",
  apply(dir: string, r: Resources): void {
    if (r.pidsLimit !== undefined) writeCg(dir, "pids.max", maxOr(r.pidsLimit));
  },
};
