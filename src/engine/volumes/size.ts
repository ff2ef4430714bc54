/** du-like size of a tree (what prune reports as reclaimed): allocated blocks, hard links counted once. */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

export function treeSize(root: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (p: string) => {
    let st;
    try {
      st = lstatSync(p, { bigint: true });
    } catch {
      return;
    }
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    // du counts blocks; Docker's prune counts apparent file sizes. Use sizes of files, as Docker does.
    if (st.isFile() || st.isSymbolicLink()) total += Number(st.size);
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const n of names) walk(join(p, n));
  };
  walk(root);
  return total;
}
