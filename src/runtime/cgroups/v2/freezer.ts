/**
 * v2 freezer: cgroup.freeze (core file, no controller to enable). The write returns at once; the
 * cgroup is frozen when cgroup.events says "frozen 1".
 */
import { CgroupError } from "../types.ts";
import { hasFile, readKeyed, waitFor, writeCg } from "../_fs.ts";

export function isFrozenV2(dir: string): boolean {
  return readKeyed(dir, "cgroup.events").get("frozen") === 1;
}

export async function setFrozenV2(dir: string, frozen: boolean, timeoutMs: number): Promise<void> {
  // a live cgroup without the file: the kernel predates the v2 freezer; say so rather than "ENOENT"
  if (hasFile(dir, "cgroup.procs") && !hasFile(dir, "cgroup.freeze")) {
    throw new CgroupError(`cgroup: no freezer at \`${dir}\`: cgroup.freeze needs Linux 5.2 or later`, { path: dir, code: "ENOENT" });
  }
  writeCg(dir, "cgroup.freeze", frozen ? "1" : "0");
  const ok = await waitFor(() => isFrozenV2(dir) === frozen, timeoutMs);
  if (!ok) {
    if (frozen) writeCg(dir, "cgroup.freeze", "0"); // never leave it half-frozen
    throw new CgroupError(`cgroup: ${frozen ? "freezing" : "thawing"} \`${dir}\` did not finish in ${timeoutMs} ms`, { path: dir });
  }
}
