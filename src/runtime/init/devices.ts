/**
 * /dev contents, made in the fresh /dev tmpfs before pivot_root: Docker's default nodes (mknod, which
 * needs no host path; binding the host's node is the fallback when mknod is refused), the spec's extra
 * devices, and the standard symlinks.
 */
import { MS_BIND, O_CLOEXEC, O_DIRECTORY, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, S_IFBLK, S_IFCHR, AT_EMPTY_PATH } from "../../sys/constants.ts";
import { Errno, SysError } from "../../sys/errors.ts";
import { makeDev } from "../../sys/paths.ts";
import type { RuntimeSpec } from "../spec.ts";
import type { InitContext } from "./context.ts";
import { fdTarget, mountAt, openInRootFd } from "./mountat.ts";

/** name, major, minor: the nodes every Docker container has (mode 0666, root-owned) */
export const DEFAULT_DEVICES: ReadonlyArray<[string, number, number]> = [
  ["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0],
];

export const DEV_SYMLINKS: ReadonlyArray<[string, string]> = [
  ["fd", "/proc/self/fd"], ["stdin", "/proc/self/fd/0"], ["stdout", "/proc/self/fd/1"],
  ["stderr", "/proc/self/fd/2"], ["core", "/proc/kcore"], ["ptmx", "pts/ptmx"],
];

export function createDevices(ctx: InitContext, spec: RuntimeSpec, rootFd: number): void {
  const dev = ctx.sys.openat2(rootFd, "dev", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  try {
    // a --device at a default's path takes its place (runc's createDevices drops the default)
    const taken = new Set(spec.devices.map((d) => d.path));
    for (const [name, major, minor] of DEFAULT_DEVICES) {
      if (taken.has(`/dev/${name}`)) continue;
      try {
        ctx.sys.mknodat(dev, name, S_IFCHR | 0o666, makeDev(major, minor));
      } catch (e) {
        if (!(e instanceof SysError) || e.errno !== Errno.EPERM) throw e;
        // no CAP_MKNOD (a user namespace, say): bind the host's node instead
        mountAt(ctx, rootFd, `/dev/${name}`, `/dev/${name}`, null, { flags: MS_BIND, data: "", propagation: [] }, "file");
      }
    }
    // like runc, /dev/core only where the kernel has /proc/kcore (the host's /proc, before pivot_root)
    const kcore = ctx.fs.kind("/proc/kcore") !== null;
    for (const [name, target] of DEV_SYMLINKS) {
      if (name !== "core" || kcore) ctx.fs.symlink(target, `${fdTarget(dev)}/${name}`);
    }
  } finally {
    ctx.sys.close(dev);
  }
  for (const d of spec.devices) {
    const parent = d.path.slice(0, d.path.lastIndexOf("/")) || "/";
    const dir = openInRootFd(ctx, rootFd, parent, "dir");
    try {
      const name = d.path.slice(d.path.lastIndexOf("/") + 1);
      try {
        ctx.sys.mknodat(dir, name, (d.type === "b" ? S_IFBLK : S_IFCHR) | (d.mode & 0o7777), makeDev(d.major, d.minor));
      } catch (e) {
        // runc keeps what is there (a directory given twice, a node a symlink already names)
        if (e instanceof SysError && e.errno === Errno.EEXIST) continue;
        throw e;
      }
      const node = openInRootFd(ctx, rootFd, d.path);
      try {
        ctx.sys.fchownat(node, "", d.uid, d.gid, AT_EMPTY_PATH);
      } finally {
        ctx.sys.close(node);
      }
    } finally {
      ctx.sys.close(dir);
    }
  }
}
