/**
 * Docker's copy-up: an empty volume mounted where the image has a directory first receives that
 * directory's content (modes, owners, mtimes, symlinks, hard links, device nodes).
 *
 * The image is not mounted: we read the merged view straight from the read-only layer dirs (top-most
 * first), as overlayfs would show it: a 0/0 char device hides what is below, an opaque dir
 * (trusted.overlay.opaque=y) ends the merge at its layer, a non-directory hides lower directories.
 * `pathInImage` may cross symlinks; they are resolved against the image root (absolute targets and ".."
 * never leave it), one component at a time. Every lookup goes through an fd opened with openat2
 * (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) on the already-resolved parent, so nothing in a layer can
 * steer a read outside the layer.
 */
import {
  copyFileSync, constants as FS, linkSync, lstatSync, lchownSync, chmodSync, lutimesSync, mkdirSync, readdirSync, symlinkSync,
  type BigIntStats,
} from "node:fs";
import { join, posix } from "node:path";
import { AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_PATH, RESOLVE_NO_SYMLINKS, S_IFMT } from "../../sys/constants.ts";
import { linuxSys } from "../../sys/linux.ts";
import { openInRoot } from "../../sys/paths.ts";
import type { Sys } from "../../sys/sys.ts";

const OPAQUE_XATTR = "trusted.overlay.opaque";
const MAX_SYMLINKS = 40;

/** A directory of the merged image: its path (symlink-free) and the layers that contribute to it. */
interface MergedDir {
  rel: string;
  layers: string[];
}

type Hit =
  | { kind: "dir"; dir: MergedDir; st: BigIntStats }
  | { kind: "other"; layer: string; rel: string; st: BigIntStats };

/**
 * Copies the image's content at `pathInImage` into `volumeDataDir` if the volume is empty and the image
 * has a directory there. Returns whether anything was copied.
 */
export function populateVolume(volumeDataDir: string, imageRootfsLowerDirs: string[], pathInImage: string, sys: Sys = linuxSys()): boolean {
  if (readdirSync(volumeDataDir).length > 0) return false;
  const src = resolveInImage(sys, imageRootfsLowerDirs, pathInImage);
  if (!src || src.kind !== "dir") return false;
  const links = new Map<string, string>();
  copyDir(sys, src.dir, volumeDataDir, links);
  // copyOwnership in moby: the volume root takes the image directory's owner and mode
  applyMeta(volumeDataDir, src.st, [], sys);
  return true;
}

/** Resolves `path` in the merged image; null when it does not exist (or a component is not a directory). */
export function resolveInImage(sys: Sys, lowers: string[], path: string): Hit | null {
  const root = rootDir(sys, lowers);
  if (!root) return null;
  let comps = split(path);
  let cur = root;
  let hops = 0;
  let i = 0;
  let last: Hit = { kind: "dir", dir: root, st: statIn(sys, root.layers[0]!, "", ".")! };
  while (i < comps.length) {
    const hit = lookup(sys, cur, comps[i]!);
    if (!hit) return null;
    if (hit.kind === "dir") {
      cur = hit.dir;
      last = hit;
      i++;
      continue;
    }
    if (hit.st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINKS) return null;
      const target = fdChild(sys, hit.layer, cur.rel, comps[i]!, (p) => sys.readlinkat(AT_FDCWD, p));
      const base = target.startsWith("/") ? "" : cur.rel;
      // cur.rel holds no symlinks, so a lexical ".." in the joined path is the real parent; above "/" stays "/"
      comps = split(posix.join("/", base, target, ...comps.slice(i + 1)));
      cur = root;
      i = 0;
      continue;
    }
    return i === comps.length - 1 ? hit : null;
  }
  return last;
}

function split(p: string): string[] {
  return posix.normalize(`/${p}`).split("/").filter((c) => c !== "" && c !== ".");
}

function rootDir(sys: Sys, lowers: string[]): MergedDir | null {
  const layers: string[] = [];
  for (const l of lowers) {
    layers.push(l);
    if (isOpaque(sys, l, "", ".")) break;
  }
  return layers.length ? { rel: "", layers } : null;
}

/** The visible entry `name` in merged directory `dir`, overlayfs rules. */
function lookup(sys: Sys, dir: MergedDir, name: string): Hit | null {
  const rel = dir.rel ? `${dir.rel}/${name}` : name;
  const below: string[] = [];
  let top: BigIntStats | null = null;
  for (const layer of dir.layers) {
    const st = statIn(sys, layer, dir.rel, name);
    if (!st) continue;
    if (isWhiteout(st)) break;
    if (!st.isDirectory()) {
      if (top === null) return { kind: "other", layer, rel, st };
      break; // a non-directory under a directory is hidden, and so is all below it
    }
    top ??= st;
    below.push(layer);
    if (isOpaque(sys, layer, dir.rel, name)) break;
  }
  return top ? { kind: "dir", dir: { rel, layers: below }, st: top } : null;
}

function isWhiteout(st: BigIntStats): boolean {
  return st.isCharacterDevice() && st.rdev === 0n;
}

/** Runs `fn` on "/proc/self/fd/N/name" where N is `rel` opened inside `layer` without following symlinks. */
function fdChild<T>(sys: Sys, layer: string, rel: string, name: string, fn: (p: string) => T): T {
  const fd = openInRoot(sys, layer, rel, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS);
  try {
    // "N/." (not "N") so lstat and lgetxattr reach the directory, not the magic link itself
    return fn(`/proc/self/fd/${fd}/${name}`);
  } finally {
    sys.close(fd);
  }
}

function statIn(sys: Sys, layer: string, rel: string, name: string): BigIntStats | null {
  try {
    return fdChild(sys, layer, rel, name, (p) => lstatSync(p, { bigint: true }));
  } catch {
    return null; // missing here, or the path is not a plain directory chain in this layer
  }
}

function isOpaque(sys: Sys, layer: string, rel: string, name: string): boolean {
  try {
    const v = fdChild(sys, layer, rel, name, (p) => sys.lgetxattr(p, OPAQUE_XATTR));
    return v !== null && v.length === 1 && v[0] === 0x79;
  } catch {
    return false;
  }
}

/** Names of a merged directory, in first-seen order. */
function mergedNames(sys: Sys, dir: MergedDir): string[] {
  const names = new Set<string>();
  for (const layer of dir.layers) {
    try {
      for (const n of fdChild(sys, layer, dir.rel, ".", (p) => readdirSync(p))) names.add(n);
    } catch {}
  }
  return [...names].sort();
}

function copyDir(sys: Sys, dir: MergedDir, dst: string, links: Map<string, string>): void {
  for (const name of mergedNames(sys, dir)) {
    const hit = lookup(sys, dir, name);
    if (!hit) continue;
    const to = join(dst, name);
    if (hit.kind === "dir") {
      mkdirSync(to, { mode: 0o700 });
      copyDir(sys, hit.dir, to, links);
      applyMeta(to, hit.st, fdChild(sys, hit.dir.layers[0]!, dir.rel, name, (p) => readXattrs(sys, p)), sys);
      continue;
    }
    copyOther(sys, dir.rel, name, hit, to, links);
  }
}

function copyOther(sys: Sys, parentRel: string, name: string, hit: Extract<Hit, { kind: "other" }>, to: string, links: Map<string, string>): void {
  const st = hit.st;
  const key = `${st.dev}:${st.ino}`;
  if (st.nlink > 1n && !st.isSymbolicLink()) {
    const first = links.get(key);
    if (first) {
      linkSync(first, to);
      return;
    }
    links.set(key, to);
  }
  if (st.isSymbolicLink()) {
    symlinkSync(fdChild(sys, hit.layer, parentRel, name, (p) => sys.readlinkat(AT_FDCWD, p)), to);
  } else if (st.isFile()) {
    // the magic link names exactly the inode we checked; EXCL so `to` can never be an existing link
    fdChild(sys, hit.layer, parentRel, name, (p) => copyFileSync(p, to, FS.COPYFILE_EXCL));
  } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
    sys.mknodat(AT_FDCWD, to, Number(st.mode & BigInt(S_IFMT)) | 0o600, Number(st.rdev));
  } else {
    return; // sockets are not content
  }
  applyMeta(to, st, st.isSymbolicLink() ? [] : fdChild(sys, hit.layer, parentRel, name, (p) => readXattrs(sys, p)), sys);
}

/**
 * Extended attributes worth keeping (file capabilities such as ping's cap_net_raw, user.*), as moby's
 * copy does; overlay's own trusted.overlay.* markers are layer plumbing, never content.
 */
function readXattrs(sys: Sys, path: string): Array<[string, Uint8Array]> {
  const out: Array<[string, Uint8Array]> = [];
  let names: string[];
  try {
    names = sys.llistxattr(path);
  } catch {
    return out;
  }
  for (const n of names) {
    if (n.startsWith("trusted.overlay.")) continue;
    const v = sys.lgetxattr(path, n);
    if (v !== null) out.push([n, v]);
  }
  return out;
}

/**
 * Owner first (chown clears set-id bits and file capabilities), then mode, then xattrs, then times
 * (last, as the other changes touch them).
 */
function applyMeta(path: string, st: BigIntStats, xattrs: Array<[string, Uint8Array]> = [], sys: Sys = linuxSys()): void {
  lchownSync(path, Number(st.uid), Number(st.gid));
  if (!st.isSymbolicLink()) chmodSync(path, Number(st.mode & 0o7777n));
  for (const [n, v] of xattrs) sys.lsetxattr(path, n, v);
  lutimesSync(path, Number(st.atimeNs) / 1e9, Number(st.mtimeNs) / 1e9);
}
