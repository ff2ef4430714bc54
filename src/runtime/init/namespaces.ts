/**
 * Entering namespaces. run: unshare what the spec asks for (the pid namespace was made by the parent,
 * which spawned init as its PID 1); the cgroup namespace comes later, once the engine has placed init in
 * its cgroup (the namespace root is fixed at unshare time). exec: setns into the target's namespaces,
 * all ns files opened first (the mount namespace changes what /proc means), mount namespace last.
 */
import {
  AT_FDCWD, CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUTS, O_CLOEXEC, O_RDONLY,
} from "../../sys/constants.ts";
import { Errno, SysError } from "../../sys/errors.ts";
import type { NamespacesSpec } from "../spec.ts";
import type { InitContext } from "./context.ts";

/** unshare(mount|uts|ipc|net) as asked, or join `netPath`. */
export function unshareNamespaces(ctx: InitContext, ns: NamespacesSpec): void {
  let flags = 0;
  if (ns.mount) flags |= CLONE_NEWNS;
  if (ns.uts) flags |= CLONE_NEWUTS;
  if (ns.ipc) flags |= CLONE_NEWIPC;
  if (ns.net && !ns.netPath) flags |= CLONE_NEWNET;
  if (flags !== 0) ctx.sys.unshare(flags);
  if (ns.netPath) {
    const fd = ctx.sys.openat(AT_FDCWD, ns.netPath, O_RDONLY | O_CLOEXEC);
    try {
      ctx.sys.setns(fd, CLONE_NEWNET);
    } finally {
      ctx.sys.close(fd);
    }
  }
}

export function unshareCgroup(ctx: InitContext, ns: NamespacesSpec): void {
  if (ns.cgroup) ctx.sys.unshare(CLONE_NEWCGROUP);
}

/** Order matters: mnt last, since after it /proc/<pid> would be the container's /proc. */
export const JOIN_ORDER: ReadonlyArray<[name: string, nstype: number]> = [
  ["ipc", CLONE_NEWIPC], ["uts", CLONE_NEWUTS], ["net", CLONE_NEWNET], ["cgroup", CLONE_NEWCGROUP], ["mnt", CLONE_NEWNS],
];

/** Open /proc/<pid>/ns/* of the target (close-on-exec); a namespace equal to ours is skipped. */
export function openTargetNamespaces(ctx: InitContext, pid: number): Array<[fd: number, nstype: number, name: string]> {
  const out: Array<[number, number, string]> = [];
  try {
    for (const [name, nstype] of JOIN_ORDER) {
      const path = `/proc/${pid}/ns/${name}`;
      if (ctx.fs.kind(path) === null && ctx.fs.kind(`/proc/${pid}`) !== null) continue; // kernel without it
      out.push([ctx.sys.openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC), nstype, name]);
    }
  } catch (e) {
    for (const [fd] of out) ctx.sys.close(fd);
    throw e;
  }
  return out;
}

export function joinNamespaces(ctx: InitContext, fds: Array<[fd: number, nstype: number, name: string]>): void {
  try {
    for (const [fd, nstype] of fds) {
      try {
        ctx.sys.setns(fd, nstype);
      } catch (e) {
        // setns(mnt) refuses a task whose fs_struct is shared (Bun's threads): unshare it and retry
        if (nstype !== CLONE_NEWNS || !(e instanceof SysError) || e.errno !== Errno.EINVAL) throw e;
        ctx.sys.unshare(CLONE_FS);
        ctx.sys.setns(fd, nstype);
      }
    }
  } finally {
    for (const [fd] of fds) ctx.sys.close(fd);
  }
}
