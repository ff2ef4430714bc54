/**
 * The container's root: a private mount tree, the overlay (or a read-only bind of a single layer) on
 * `rootfs.merged`, pivot_root into it, and the optional read-only remount at the end. The overlay lives
 * only in init's mount namespace, so it vanishes with the container: nothing to unmount on the host.
 */
import { posix } from "node:path";
import {
  AT_FDCWD, MNT_DETACH, MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, O_CLOEXEC, O_DIRECTORY, O_PATH,
} from "../../sys/constants.ts";
import type { RootfsSpec } from "../spec.ts";
import type { InitContext } from "./context.ts";

/** The kernel copies mount data into one page; the string and its NUL must fit. */
const PAGE = 4096;

/** Nothing mounted from here on reaches the host (systemd makes / shared by default). */
export function makeRootPrivate(ctx: InitContext): void {
  ctx.sys.mount(null, "/", null, MS_REC | MS_PRIVATE, null);
}

/** Overlay's separators (`:` between layers, `,` between options) must be escaped in paths. */
const esc = (p: string): string => p.replace(/[\\:,]/g, (c) => `\\${c}`);

/**
 * The overlay option string, and the directory to chdir to first when absolute lowerdirs would not fit
 * in a page: then the layers are given relative to their common parent (snapshots/<n>/fs → <n>/fs).
 */
export function overlayData(r: RootfsSpec): { data: string; cwd?: string } {
  const tail = r.upper ? `,upperdir=${esc(r.upper)},workdir=${esc(r.work)}` : "";
  const abs = `lowerdir=${r.lower.map(esc).join(":")}${tail}`;
  if (abs.length < PAGE) return { data: abs };
  const base = commonDir(r.lower);
  const rel = `lowerdir=${r.lower.map((l) => esc(posix.relative(base, l))).join(":")}${tail}`;
  if (rel.length >= PAGE) throw new Error(`overlay options are ${rel.length} bytes even with relative lowerdirs (limit ${PAGE - 1})`);
  return { data: rel, cwd: base };
}

function commonDir(paths: string[]): string {
  let parts = posix.dirname(paths[0]!).split("/");
  for (const p of paths.slice(1)) {
    const q = p.split("/");
    let i = 0;
    while (i < parts.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join("/") || "/";
}

/** Mount the root filesystem on `merged`; returns an O_PATH fd of it for the mounts that follow. */
export function mountRootfs(ctx: InitContext, r: RootfsSpec): number {
  if (r.lower.length === 0) throw new Error("rootfs has no layers");
  ctx.fs.mkdir(r.merged, 0o755, true);
  if (!r.upper && r.lower.length === 1) {
    // a single read-only layer: a bind is cheaper than an overlay
    ctx.sys.mount(r.lower[0]!, r.merged, null, MS_BIND | MS_REC, null);
    ctx.sys.mount(null, r.merged, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
  } else {
    const { data, cwd } = overlayData(r);
    if (cwd) ctx.sys.chdir(cwd);
    ctx.sys.mount("overlay", r.merged, "overlay", 0, data);
  }
  return ctx.sys.openat(AT_FDCWD, r.merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/** pivot_root(".", ".") stacks the old root on the new one; detaching "." then drops it (runc's way). */
export function pivotRoot(ctx: InitContext, merged: string): void {
  ctx.sys.chdir(merged);
  ctx.sys.pivotRoot(".", ".");
  ctx.sys.umount2(".", MNT_DETACH);
  ctx.sys.chdir("/");
}

/** --read-only: the root mount becomes read-only (the mounts on top keep their own flags). */
export function readonlyRoot(ctx: InitContext): void {
  ctx.sys.mount(null, "/", null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
}
