/**
 * /sys/fs/cgroup inside the container, read-only, showing the container's own cgroup as the root so a
 * process can read its limits (memory.limit_in_bytes on v1, memory.max on v2).
 * - With a cgroup namespace (unshared after the engine placed init in its cgroup), mounting the cgroup
 *   filesystems shows the namespace root: v2 one cgroup2 mount; v1 a tmpfs with one mount per hierarchy
 *   listed in /proc/self/cgroup, plus symlinks for co-mounted controllers (cpu → cpu,cpuacct).
 * - Without one, the container's own cgroup directories are bound from the host instead.
 */
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT } from "../../sys/constants.ts";
import type { RuntimeSpec } from "../spec.ts";
import type { InitContext } from "./context.ts";
import { fdTarget, mountAt, mountFresh, openInRootFd } from "./mountat.ts";

export interface CgroupLine {
  id: string;
  /** "memory", "cpu,cpuacct", "name=systemd", "" for v2 */
  controllers: string;
  path: string;
}

export function parseProcCgroup(text: string): CgroupLine[] {
  const out: CgroupLine[] = [];
  for (const line of text.split("\n")) {
    const a = line.indexOf(":"), b = line.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    out.push({ id: line.slice(0, a), controllers: line.slice(a + 1, b), path: line.slice(b + 1) });
  }
  return out;
}

const RO = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;
const CGROUP = "/sys/fs/cgroup";

/** Directory name of a v1 hierarchy under /sys/fs/cgroup, as systemd names them. */
export const hierarchyDir = (controllers: string): string => controllers.replace(/^name=/, "");

export function mountCgroupfs(ctx: InitContext, spec: RuntimeSpec, rootFd: number): void {
  const lines = parseProcCgroup(ctx.fs.readFile("/proc/self/cgroup"));
  const v1 = lines.filter((l) => l.id !== "0" && l.controllers !== "");
  const ns = spec.namespaces.cgroup;
  if (v1.length === 0 || spec.cgroupV2Dir !== undefined) {
    const own = lines.find((l) => l.id === "0")?.path ?? "/";
    if (ns) mountAt(ctx, rootFd, CGROUP, "cgroup", "cgroup2", { flags: RO, data: "", propagation: [] });
    else bindRo(ctx, rootFd, spec.cgroupV2Dir ?? `${CGROUP}${own === "/" ? "" : own}`, CGROUP);
    return;
  }
  mountAt(ctx, rootFd, CGROUP, "tmpfs", "tmpfs", { flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: "mode=755", propagation: [] });
  const tmp = openInRootFd(ctx, rootFd, CGROUP);
  try {
    for (const l of v1) {
      const name = hierarchyDir(l.controllers);
      if (ns) mountFresh(ctx, tmp, name, "cgroup", "cgroup", { flags: RO, data: l.controllers, propagation: [] });
      else mountFresh(ctx, tmp, name, `${CGROUP}/${name}${l.path === "/" ? "" : l.path}`, null, BIND_RO);
      if (l.controllers.includes(",")) {
        for (const c of l.controllers.split(",")) ctx.fs.symlink(name, `${fdTarget(tmp)}/${c}`);
      }
    }
    // the tmpfs itself becomes read-only last, once its directories and symlinks exist
    ctx.sys.mount(null, fdTarget(tmp), null, MS_BIND | MS_REMOUNT | RO, null);
  } finally {
    ctx.sys.close(tmp);
  }
}

const BIND_RO = { flags: MS_BIND | MS_REC | RO, data: "", propagation: [] };

function bindRo(ctx: InitContext, rootFd: number, hostDir: string, dest: string): void {
  mountAt(ctx, rootFd, dest, hostDir, null, BIND_RO);
}
