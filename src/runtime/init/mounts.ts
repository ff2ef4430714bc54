/**
 * Everything mounted into the rootfs before pivot_root: Docker's standard mounts (/proc, /dev and its
 * children, /sys), the engine's /etc files, and the user's mounts (volumes, binds, tmpfs). All targets go
 * through mountAt (resolved inside the root, never out of it). /sys/fs/cgroup is in cgroupfs.ts, the
 * device nodes in devices.ts.
 */
import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_STRICTATIME,
} from "../../sys/constants.ts";
import type { MountSpec, RuntimeSpec } from "../spec.ts";
import type { InitContext } from "./context.ts";
import { mountAt, mountFresh, openInRootFd, parseMountOptions, type MountOptions } from "./mountat.ts";

const m = (flags: number, data = "", propagation: number[] = []): MountOptions => ({ flags, data, propagation });

/** /proc, /dev (tmpfs), /dev/pts (its own instance), /dev/shm, /dev/mqueue, /sys: as runc sets them up for Docker. */
export function mountStandard(ctx: InitContext, spec: RuntimeSpec, rootFd: number): void {
  const nsx = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  mountAt(ctx, rootFd, "/proc", "proc", "proc", m(nsx));
  mountAt(ctx, rootFd, "/dev", "tmpfs", "tmpfs", m(MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"));
  const dev = openInRootFd(ctx, rootFd, "/dev");
  try {
    mountFresh(ctx, dev, "pts", "devpts", "devpts", m(MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"));
    mountFresh(ctx, dev, "shm", "shm", "tmpfs", m(nsx, "mode=1777,size=65536k"));
    // a mqueue mount shows the mounter's IPC namespace: only mount one for a private namespace
    if (spec.namespaces.ipc) mountFresh(ctx, dev, "mqueue", "mqueue", "mqueue", m(nsx));
  } finally {
    ctx.sys.close(dev);
  }
  if (spec.namespaces.net || spec.namespaces.netPath) {
    // sysfs shows the network devices of the mounter's net namespace: a fresh one gets its own view
    mountAt(ctx, rootFd, "/sys", "sysfs", "sysfs", m(nsx | MS_RDONLY));
  } else {
    // with the host's network, runc binds the host's /sys (read-only) instead of mounting a new sysfs
    mountAt(ctx, rootFd, "/sys", "/sys", null, m(MS_BIND | MS_REC | nsx | MS_RDONLY));
  }
}

/** /etc/hostname, /etc/hosts, /etc/resolv.conf: bind the files the engine wrote for this container. */
export function mountEtcFiles(ctx: InitContext, spec: RuntimeSpec, rootFd: number): void {
  const files: Array<[string, string | undefined]> = [
    ["/etc/hostname", spec.etcFiles.hostname],
    ["/etc/hosts", spec.etcFiles.hosts],
    ["/etc/resolv.conf", spec.etcFiles.resolvConf],
  ];
  for (const [dest, source] of files) {
    if (source) mountAt(ctx, rootFd, dest, source, null, m(MS_BIND), "file");
  }
}

/** The user's mounts, in order (a later one may cover an earlier one, as in Docker). */
export function mountUser(ctx: InitContext, spec: RuntimeSpec, rootFd: number): void {
  for (const mnt of spec.mounts) mountOne(ctx, rootFd, mnt);
}

function mountOne(ctx: InitContext, rootFd: number, mnt: MountSpec): void {
  const opts = parseMountOptions(mnt.options);
  if (mnt.destination === "/" || mnt.destination.replace(/\/+$/, "") === "") {
    throw new Error(`invalid mount destination ${JSON.stringify(mnt.destination)}`);
  }
  if (mnt.type === "bind") {
    opts.flags |= MS_BIND;
    // a file is bound onto a file, anything else onto a directory (Docker creates the target)
    const kind = ctx.fs.kind(mnt.source);
    if (kind === null) throw new Error(`bind source path does not exist: ${mnt.source}`);
    mountAt(ctx, rootFd, mnt.destination, mnt.source, null, opts, kind === "dir" ? "dir" : "file");
    return;
  }
  mountAt(ctx, rootFd, mnt.destination, mnt.source || mnt.type, mnt.type, opts);
}
