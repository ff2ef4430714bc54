/** v1 pids: pids.max ("max" for Docker's 0 / -1). */
import type { Resources } from "../types.ts";
import { writeCg } from "../_fs.ts";
import { maxOr } from "../validate.ts";
import type { V1Controller } from "./controller.ts";

export const pidsV1: V1Controller = {
  name: "pids",
  apply(dir: string, r: Resources): void {
    if (r.pidsLimit !== undefined) writeCg(dir, "pids.max", maxOr(r.pidsLimit));
  },
};
