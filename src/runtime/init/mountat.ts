/**
 * Mounting inside the container's root without ever following a path out of it (crun's safe_openat,
 * runc's securejoin + /proc/self/fd). The target is opened with openat2(RESOLVE_IN_ROOT) relative to an
 * fd of the rootfs, so an image's absolute or `..` symlink stays inside the rootfs; missing components
 * are created one at a time through the already-resolved parent; the mount then goes onto
 * /proc/self/fd/N, the exact object resolved.
 */
import { posix } from "node:path";
import { SysError, Errno } from "../../sys/errors.ts";
import {
  MS_BIND, MS_DIRSYNC, MS_MANDLOCK, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_PRIVATE,
  MS_RDONLY, MS_REC, MS_RELATIME, MS_REMOUNT, MS_SHARED, MS_SLAVE, MS_STRICTATIME, MS_SYNCHRONOUS,
  MS_UNBINDABLE, O_CLOEXEC, O_DIRECTORY, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS,
} from "../../sys/constants.ts";
import type { InitContext } from "./context.ts";

const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

/** A container path made relative ("proc/sys"), after refusing relative input and folding `..`. */
export function relInRoot(dest: string): string {
  if (!dest.startsWith("/")) throw new Error(`mount destination must be an absolute path: ${JSON.stringify(dest)}`);
  const rel = posix.normalize(dest).replace(/^\/+/, "").replace(/\/+$/, "");
  return rel === "" ? "." : rel;
}

export const fdTarget = (fd: number): string => `/proc/self/fd/${fd}`;

/**
 * Open `dest` inside the root (O_PATH); with `create`, make missing components (dirs, then the leaf).
 * A dangling symlink on the way is followed inside the root, as Docker's securejoin does: its target is
 * created (still resolved with RESOLVE_IN_ROOT, so `/../../x` means <root>/x), bounded like ELOOP.
 */
export function openInRootFd(ctx: InitContext, rootFd: number, dest: string, create?: "dir" | "file", depth = 0): number {
  const rel = relInRoot(dest);
  try {
    return ctx.sys.openat2(rootFd, rel, O_PATH | O_CLOEXEC, 0, RESOLVE);
  } catch (e) {
    if (!create || !(e instanceof SysError) || e.errno !== Errno.ENOENT) throw e;
  }
  if (depth > 40) throw new SysError("openat2", Errno.ELOOP, dest);
  const parts = rel.split("/");
  for (let i = 0; i < parts.length; i++) {
    const path = parts.slice(0, i + 1).join("/");
    try {
      ctx.sys.close(ctx.sys.openat2(rootFd, path, O_PATH | O_CLOEXEC, 0, RESOLVE));
      continue;
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.ENOENT) throw e;
    }
    // the parent exists (previous round); create one name in it through its fd: no path walk at all
    const parent = ctx.sys.openat2(rootFd, i === 0 ? "." : parts.slice(0, i).join("/"), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE);
    try {
      const name = `${fdTarget(parent)}/${parts[i]}`;
      if (ctx.fs.kind(name, true) === "symlink") {
        const link = ctx.sys.readlinkat(parent, parts[i]!);
        const base = link.startsWith("/") ? "" : `/${parts.slice(0, i).join("/")}`;
        const rest = parts.slice(i + 1).join("/");
        return openInRootFd(ctx, rootFd, posix.normalize(`/${base}/${link}/${rest}`), create, depth + 1);
      }
      if (i === parts.length - 1 && create === "file") ctx.fs.touch(name, 0o644);
      else ctx.fs.mkdir(name, 0o755);
    } finally {
      ctx.sys.close(parent);
    }
  }
  return ctx.sys.openat2(rootFd, rel, O_PATH | O_CLOEXEC, 0, RESOLVE);
}

/**
 * Mount on a new directory `name` in a directory we mounted ourselves a moment ago (the /dev or
 * /sys/fs/cgroup tmpfs, given as an fd): nothing from the image is in there, so the directory is made
 * directly and resolved relative to that fd, without walking the path from the root again.
 */
export function mountFresh(
  ctx: InitContext, dirFd: number, name: string, source: string | null, fstype: string | null, opts: MountOptions,
): void {
  ctx.fs.mkdir(`${fdTarget(dirFd)}/${name}`, 0o755);
  mountAt(ctx, dirFd, `/${name}`, source, fstype, opts);
}

export interface MountOptions {
  /** MS_* flags for the mount itself (MS_BIND/MS_REC included for binds) */
  flags: number;
  /** propagation changes applied after the mount (MS_PRIVATE|MS_REC, ...) */
  propagation: number[];
  /** filesystem-specific data ("size=64m,mode=1777") */
  data: string;
}

const FLAGS: Record<string, [set: number, clear: number]> = {
  ro: [MS_RDONLY, 0], rw: [0, MS_RDONLY], nosuid: [MS_NOSUID, 0], suid: [0, MS_NOSUID],
  nodev: [MS_NODEV, 0], dev: [0, MS_NODEV], noexec: [MS_NOEXEC, 0], exec: [0, MS_NOEXEC],
  sync: [MS_SYNCHRONOUS, 0], async: [0, MS_SYNCHRONOUS], dirsync: [MS_DIRSYNC, 0], mand: [MS_MANDLOCK, 0],
  noatime: [MS_NOATIME, 0], atime: [0, MS_NOATIME], nodiratime: [MS_NODIRATIME, 0], diratime: [0, MS_NODIRATIME],
  relatime: [MS_RELATIME, 0], norelatime: [0, MS_RELATIME], strictatime: [MS_STRICTATIME, 0],
  bind: [MS_BIND, 0], rbind: [MS_BIND | MS_REC, 0], defaults: [0, 0],
};
const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE, rprivate: MS_PRIVATE | MS_REC, shared: MS_SHARED, rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE, rslave: MS_SLAVE | MS_REC, unbindable: MS_UNBINDABLE, runbindable: MS_UNBINDABLE | MS_REC,
};

/** fstab-style options → flags, propagation and data (unknown words are filesystem data, as mount(8) does). */
export function parseMountOptions(options: string[]): MountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const o of options) {
    const f = FLAGS[o];
    if (f) flags = (flags | f[0]) & ~f[1];
    else if (PROPAGATION[o] !== undefined) propagation.push(PROPAGATION[o]!);
    else if (o !== "") data.push(o);
  }
  return { flags, propagation, data: data.join(",") };
}

/** The per-mount flags a bind remount may change (everything else in `flags` is for the first mount). */
const REMOUNT_MASK = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

/**
 * Mount `source` (fstype, options) onto `dest` inside the root. Binds get their ro/nosuid/... through a
 * second, remounting call (the kernel ignores them on the first), found again by path so the remount
 * hits the new mount, not the directory under it.
 */
export function mountAt(
  ctx: InitContext, rootFd: number, dest: string, source: string | null, fstype: string | null,
  opts: MountOptions, create: "dir" | "file" = "dir",
): void {
  try {
    const target = openInRootFd(ctx, rootFd, dest, create);
    try {
      ctx.sys.mount(source, fdTarget(target), fstype, opts.flags & ~(opts.flags & MS_BIND ? REMOUNT_MASK : 0), opts.data || null);
    } finally {
      ctx.sys.close(target);
    }
    const remount = opts.flags & MS_BIND ? opts.flags & REMOUNT_MASK : 0;
    if (remount === 0 && opts.propagation.length === 0) return;
    const mounted = openInRootFd(ctx, rootFd, dest);
    try {
      if (remount !== 0) ctx.sys.mount(null, fdTarget(mounted), null, MS_BIND | MS_REMOUNT | remount, null);
      for (const p of opts.propagation) ctx.sys.mount(null, fdTarget(mounted), null, p, null);
    } finally {
      ctx.sys.close(mounted);
    }
  } catch (e) {
    // name the container path, not /proc/self/fd/N, and what was being mounted there
    if (!(e instanceof SysError)) throw e;
    throw new SysError(e.syscall, e.errno, dest, `${fstype ?? "bind"} from ${source ?? "-"}`);
  }
}
