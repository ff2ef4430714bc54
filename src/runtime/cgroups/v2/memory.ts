/**
 * v2 memory: memory.max, memory.swap.max (swap only, so Docker's total --memory-swap minus --memory),
 * memory.low for --memory-reservation (what runc maps it to).
 */
import type { Resources } from "../types.ts";
import { hasFile, writeCg } from "../_fs.ts";
import type { V2Controller } from "./controller.ts";

export const memoryV2: V2Controller = {
  name: "memory",
  apply(dir: string, r: Resources): void {
    if ((r.memoryReservation ?? 0) > 0) writeCg(dir, "memory.low", r.memoryReservation!);
    const mem = r.memory ?? 0;
    const swap = r.memorySwap;
    // swap.max is independent of memory.max on v2, so order does not matter; set swap first anyway so
    // a shrinking memory.max never meets an old, larger swap allowance mid-update.
    if (swap !== undefined && swap !== 0 && hasFile(dir, "memory.swap.max")) {
      if (swap === -1) writeCg(dir, "memory.swap.max", "max");
      else if (mem > 0) writeCg(dir, "memory.swap.max", Math.max(swap - mem, 0));
    }
    if (r.memory !== undefined) writeCg(dir, "memory.max", mem > 0 ? mem : "max");
  },
};
