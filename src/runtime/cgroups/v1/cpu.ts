/** v1 cpu: cpu.shares and CFS bandwidth (cfs_period_us, cfs_quota_us; --cpus becomes quota/period). */
import type { Resources } from "../types.ts";
import { writeCg } from "../_fs.ts";
import { cfsFromResources } from "../validate.ts";
import type { V1Controller } from "./controller.ts";

export const cpuV1: V1Controller = {
  name: "cpu",
  apply(dir: string, r: Resources): void {
    if ((r.cpuShares ?? 0) > 0) writeCg(dir, "cpu.shares", r.cpuShares!);
    const { period, quota } = cfsFromResources(r);
    // period first: a quota is checked against the period in force when it is written
    if (period !== undefined) writeCg(dir, "cpu.cfs_period_us", period);
    if (quota !== undefined) writeCg(dir, "cpu.cfs_quota_us", quota < 0 ? -1 : quota);
  },
};

/** cpuacct has no knobs; it is joined so `stats` can read cpuacct.usage. */
export const cpuacctV1: V1Controller = { name: "cpuacct", apply() {} };
