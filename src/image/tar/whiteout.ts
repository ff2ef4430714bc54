/**
 * Whiteouts in their two forms. In a layer tar (OCI/Docker): an empty file ".wh.NAME" deletes NAME from
 * the layers below, ".wh..wh..opq" makes its directory opaque (hides everything below it). On an
 * overlayfs upper/lower dir: NAME as a 0/0 character device, and xattr trusted.overlay.opaque=y on the
 * directory. applyLayer turns the first form into the second (overlay mode) or into deletions (merge
 * mode); diffOverlay turns the second back into the first.
 */
import type { BigIntStats } from "node:fs";
import { AT_FDCWD, S_IFCHR } from "../../sys/constants.ts";
import type { Sys } from "../../sys/sys.ts";
import { LayerApplyError } from "./errors.ts";
import type { TarEntry } from "./types.ts";

export const WHITEOUT_PREFIX = ".wh.";
/** aufs-era metadata entries (.wh..wh.plnk, .wh..wh.aufs): never content, skipped on apply */
export const WHITEOUT_META_PREFIX = ".wh..wh.";
export const WHITEOUT_OPAQUE = ".wh..wh..opq";
export const OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque";

export type Whiteout =
  | { kind: "none" }
  /** the directory holding the marker becomes opaque */
  | { kind: "opaque" }
  /** `name` (a sibling of the marker) is deleted */
  | { kind: "whiteout"; name: string }
  | { kind: "meta" };

/** Classifies one path component of a tar entry (its base name). Throws for ".wh.." / ".wh...". */
export function classifyWhiteout(base: string): Whiteout {
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: "none" };
  if (base === WHITEOUT_OPAQUE) return { kind: "opaque" };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: "meta" };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === "" || name === "." || name === "..") {
    // would delete the directory itself or its parent: containerd calls this an invalid archive too
    throw new LayerApplyError(`invalid whiteout entry ${JSON.stringify(base)}`);
  }
  return { kind: "whiteout", name };
}

/** "a/b" -> "a/.wh.b" (the tar name that deletes a/b). */
export function whiteoutName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? WHITEOUT_PREFIX + path : `${path.slice(0, i + 1)}${WHITEOUT_PREFIX}${path.slice(i + 1)}`;
}

/** "a" -> "a/.wh..wh..opq" ("" -> ".wh..wh..opq" for the root). */
export function opaqueName(dir: string): string {
  return dir ? `${dir}/${WHITEOUT_OPAQUE}` : WHITEOUT_OPAQUE;
}

/** The tar entry for a whiteout: empty regular file, mode 0, root-owned, epoch mtime (deterministic). */
export function whiteoutEntry(tarName: string): TarEntry {
  return { name: tarName, type: "file", mode: 0, uid: 0, gid: 0, size: 0, mtime: 0, mtimeNsec: 0 };
}

/** Is this (lstat) an overlay whiteout: a character device with device number 0/0? */
export function isOverlayWhiteout(st: BigIntStats): boolean {
  return st.isCharacterDevice() && st.rdev === 0n;
}

/** Creates the overlay whiteout for `path` (which must not exist). */
export function makeOverlayWhiteout(sys: Sys, path: string): void {
  sys.mknodat(AT_FDCWD, path, S_IFCHR, 0);
}

export function isOpaqueDir(sys: Sys | undefined, path: string): boolean {
  if (!sys) return false;
  try {
    const v = sys.lgetxattr(path, OVERLAY_OPAQUE_XATTR);
    return v !== null && v.length === 1 && v[0] === 0x79; // "y"
  } catch {
    return false;
  }
}

export function setOpaqueDir(sys: Sys, path: string): void {
  sys.lsetxattr(path, OVERLAY_OPAQUE_XATTR, new Uint8Array([0x79]));
}
