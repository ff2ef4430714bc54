/** v2 cpu: cpu.weight (converted from Docker's shares) and cpu.max "quota period". */
import type { Resources } from "../types.ts";
import { readCgOr, writeCg } from "../_fs.ts";
import { cfsFromResources, DEFAULT_CPU_PERIOD, sharesToWeight } from "../validate.ts";
import type { V2Controller } from "./controller.ts";

export const cpuV2: V2Controller = {
  name: "cpu",
  apply(dir: string, r: Resources): void {
    if ((r.cpuShares ?? 0) > 0) writeCg(dir, "cpu.weight", sharesToWeight(r.cpuShares!));
    const { period, quota } = cfsFromResources(r);
    if (period === undefined && quota === undefined) return;
    // cpu.max takes both numbers at once; keep whichever half was not given (live update)
    const [curQuota = "max", curPeriod = String(DEFAULT_CPU_PERIOD)] = readCgOr(dir, "cpu.max", "").split(/\s+/).filter(Boolean);
    const q = quota === undefined ? curQuota : quota < 0 ? "max" : String(quota);
    const p = period === undefined ? curPeriod : String(period);
    writeCg(dir, "cpu.max", `${q} ${p}`);
  },
};
