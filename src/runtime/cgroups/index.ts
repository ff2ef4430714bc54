/**
 * Cgroups for one container, v1 (hybrid hosts) and v2 (unified) behind one interface. The cgroupfs root
 * is a parameter everywhere so tests run on fixture dirs (youki's pattern), and the parent dir
 * ("bunker") keeps our cgroups apart from everyone else's.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CgroupError, type CgroupManager, type ManagerOptions } from "./types.ts";
import { CgroupV1 } from "./v1/manager.ts";
import { CgroupV2 } from "./v2/manager.ts";

export type { CgroupManager, CgroupStats, CgroupSysInfo, ManagerOptions, Resources } from "./types.ts";
export { CgroupError } from "./types.ts";
export { normalizeResources, validateResources, sharesToWeight, parseCpuList, MIN_MEMORY } from "./validate.ts";
export { DEFAULT_DEVICE_RULES, PRIVILEGED_DEVICE_RULES, parseDeviceRule, type DeviceRule } from "./device-rules.ts";
export { CgroupV1 } from "./v1/manager.ts";
export { CgroupV2 } from "./v2/manager.ts";

export const DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup";
export const DEFAULT_CGROUP_PARENT = "bunker";

/**
 * 2 when `root` is a cgroup2 directory: the mount of a pure v2 host (/sys/fs/cgroup), the "unified" mount
 * of a hybrid one (/sys/fs/cgroup/unified), or a delegated cgroup below either (each has
 * cgroup.controllers). 1 otherwise: a v1 or hybrid /sys/fs/cgroup, a tmpfs whose subdirs are the v1
 * hierarchies (a v1 hierarchy's own root has no cgroup.controllers). A file test rather than statfs,
 * so fixture dirs of either layout are detected the same way as the kernel's.
 */
export function detectCgroupVersion(root = DEFAULT_CGROUP_ROOT): 1 | 2 {
  return existsSync(join(root, "cgroup.controllers")) ? 2 : 1;
}

export interface CgroupManagerOptions extends Partial<ManagerOptions> {
  version?: 1 | 2;
}

function checkName(kind: string, s: string): void {
  if (s === "" || s.split("/").some((p) => p === ".." || p === ".")) {
    throw new CgroupError(`cgroup: invalid ${kind} ${JSON.stringify(s)}`);
  }
}

/**
 * The manager for container `id`. Version 2 on a hybrid host means its "unified" mount (which has
 * cgroup.freeze and cgroup.kill but usually no controllers).
 */
export function cgroupManager(id: string, opts: CgroupManagerOptions = {}): CgroupManager {
  checkName("id", id);
  if (id.includes("/")) throw new CgroupError(`cgroup: invalid id ${JSON.stringify(id)}`);
  const parent = opts.parent ?? DEFAULT_CGROUP_PARENT;
  checkName("parent", parent);
  let root = opts.root ?? DEFAULT_CGROUP_ROOT;
  const detected = detectCgroupVersion(root);
  const version = opts.version ?? detected;
  if (version === 2 && detected === 1) root = join(root, "unified");
  const mopts: ManagerOptions = { ...opts, root, parent };
  return version === 2 ? new CgroupV2(id, mopts) : new CgroupV1(id, mopts);
}

/**
 * Remove bunker cgroups whose container is gone (crash between create and rm, reboot leftovers are not
 * possible since cgroupfs is in memory). `alive(id)` answers from the engine's container records.
 * Returns the ids removed; one failure does not stop the others.
 */
export async function cleanupOrphans(
  alive: (id: string) => boolean,
  opts: CgroupManagerOptions = {},
): Promise<{ removed: string[]; errors: Error[] }> {
  const root = opts.root ?? DEFAULT_CGROUP_ROOT;
  const parent = opts.parent ?? DEFAULT_CGROUP_PARENT;
  const version = opts.version ?? detectCgroupVersion(root);
  const parentDirs: string[] = [];
  if (version === 2) {
    parentDirs.push(join(detectCgroupVersion(root) === 1 ? join(root, "unified") : root, parent));
  } else {
    for (const h of safeList(root)) parentDirs.push(join(root, h, parent));
  }
  const ids = new Set<string>();
  for (const d of parentDirs) for (const id of safeList(d)) ids.add(id);
  const removed: string[] = [];
  const errors: Error[] = [];
  for (const id of ids) {
    if (alive(id)) continue;
    try {
      await cgroupManager(id, { ...opts, root, parent, version }).destroy();
      removed.push(id);
    } catch (e) {
      errors.push(e as Error);
    }
  }
  return { removed, errors };
}

/** subdirectory names, [] when the dir is absent */
function safeList(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}
