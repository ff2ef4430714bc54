/**
 * v1 memory: limit_in_bytes, memsw.limit_in_bytes (memory + swap: Docker's --memory-swap maps 1:1),
 * soft_limit_in_bytes. The kernel insists limit <= memsw at every moment, so the write order depends on
 * whether the new total is above or below the current memory limit.
 */
import { CgroupError, type Resources } from "../types.ts";
import { hasFile, readNumber, writeCg } from "../_fs.ts";
import type { V1Controller } from "./controller.ts";

const LIMIT = "memory.limit_in_bytes";
const MEMSW = "memory.memsw.limit_in_bytes";

export const memoryV1: V1Controller = {
  name: "memory",
  apply(dir: string, r: Resources, create: boolean): void {
    if ((r.memoryReservation ?? 0) > 0) writeCg(dir, "memory.soft_limit_in_bytes", r.memoryReservation!);
    const mem = r.memory ?? 0;
    const swap = hasFile(dir, MEMSW) ? r.memorySwap : undefined;
    if (mem <= 0) {
      if (swap !== undefined && swap !== 0) writeCg(dir, MEMSW, swap);
      return;
    }
    if (swap === undefined || swap === 0) {
      if (!create && hasFile(dir, MEMSW) && mem > readNumber(dir, MEMSW, Number.MAX_SAFE_INTEGER)) {
        throw new CgroupError(
          "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
        );
      }
      writeCg(dir, LIMIT, mem);
      return;
    }
    // swap === -1 (unlimited) or a total >= mem (validated): raise memsw first when it is above the
    // current memory limit, otherwise lower memory first.
    const current = readNumber(dir, LIMIT, Number.MAX_SAFE_INTEGER);
    if (swap === -1 || swap >= current) {
      writeCg(dir, MEMSW, swap);
      writeCg(dir, LIMIT, mem);
    } else {
      writeCg(dir, LIMIT, mem);
      writeCg(dir, MEMSW, swap);
    }
  },
};
