/**
 * What a container changed: its overlay upper dir read against the image's layers. One scan serves
 * `diff` (Docker's A/C/D list) and `commit` (the entries of the new layer), so both agree on what
 * counts as a change.
 *
 * The runtime's mount points are not changes: init creates /etc/hosts, /etc/resolv.conf, /etc/hostname
 * (and /proc, /sys, /dev when an image lacks them) in the upper dir so it can bind-mount over them.
 * Docker keeps those in a separate "init" layer that is neither diffed nor committed; we skip them here
 * instead, along with a directory (such as /etc) whose only reason to be in the upper dir is a
 * placeholder. Docker's rules otherwise (moby pkg/archive/changes.go `changes`):
 *  - a whiteout is "D"; anything else is "A" unless visible in a lower layer, then "C";
 *  - a directory present below with the same mode and mtime is no change by itself, but the parent of
 *    an added or deleted entry is reported "C" (once, just before the child);
 *  - an opaque directory (deleted and made again) hides what the layers had in it: each hidden entry
 *    is "D", as Docker reports it;
 *  - output is sorted by path (Docker's own order is that of a map walk, i.e. none).
 */
import { lstatSync, readdirSync, type BigIntStats } from "node:fs";
import { resolveId, loadRecord, cpaths } from "./containers/store.ts";
import { NotFoundError } from "../errors.ts";
import type { Sys } from "../sys/sys.ts";
import { linuxSys } from "../sys/index.ts";
import { byteOrder } from "../image/tar/fsutil.ts";
import { isOpaqueDir, isOverlayWhiteout } from "../image/tar/whiteout.ts";
import type { Change } from "../image/tar/diff.ts";

export type { Change };

/** Docker's init-layer paths: where the runtime mounts over the rootfs */
const PLACEHOLDERS = new Set(["/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/etc/mtab", "/proc", "/sys", "/dev", "/.dockerenv"]);

export interface UpperItem {
  /** "/etc/passwd" */
  path: string;
  /** on disk, in the upper dir */
  disk: string;
  st: BigIntStats;
  whiteout: boolean;
  /** a directory that hides everything below it (trusted.overlay.opaque=y) */
  opaque: boolean;
}

export interface UpperScan {
  /** what the new layer holds, in walk order (whiteouts included, placeholders left out) */
  items: UpperItem[];
  /** `docker diff` lines */
  changes: Change[];
}

function lstatOrNull(p: string): BigIntStats | null {
  try {
    return lstatSync(p, { bigint: true });
  } catch {
    return null;
  }
}

/** the path in the image's layers (top-most first), honouring whiteouts; null when not visible */
function inLowers(lowers: string[], rel: string): BigIntStats | null {
  for (const l of lowers) {
    const st = lstatOrNull(`${l}${rel}`);
    if (st) return isOverlayWhiteout(st) ? null : st;
  }
  return null;
}

/** the names the layers show in directory `rel` (top-most layer first; an opaque dir ends the search) */
function hiddenBelow(lowers: string[], rel: string): string[] {
  const seen = new Set<string>(), gone = new Set<string>();
  for (const l of lowers) {
    const dir = `${l}${rel}`;
    const st = lstatOrNull(dir);
    if (!st) continue;
    if (!st.isDirectory()) break;
    for (const n of readdirSync(dir)) {
      if (seen.has(n) || gone.has(n)) continue;
      const cst = lstatOrNull(`${dir}/${n}`);
      if (cst && isOverlayWhiteout(cst)) gone.add(n);
      else seen.add(n);
    }
    if (isOpaqueDir(linuxSys(), dir)) break;
  }
  return [...seen];
}

/** an empty file or directory at a placeholder path: made by the runtime, not the container */
function isPlaceholder(path: string, st: BigIntStats, disk: string): boolean {
  if (!PLACEHOLDERS.has(path)) return false;
  if (st.isFile()) return st.size === 0n;
  if (st.isDirectory()) return readdirSync(disk).length === 0;
  return false;
}

export function scanUpper(upper: string, lowers: string[], sys: Sys = linuxSys()): UpperScan {
  const items: UpperItem[] = [];
  const changes: Change[] = [];
  const changedDirs = new Set<string>();

  // returns [anything kept below, a placeholder skipped below]
  const walk = (dir: string, rel: string, hidden: boolean): [boolean, boolean] => {
    let kept = false, skipped = false;
    for (const name of readdirSync(dir).sort(byteOrder)) {
      const disk = `${dir}/${name}`, path = `${rel}/${name}`;
      const st = lstatOrNull(disk);
      if (!st) continue; // removed while we looked (only with --pause=false)
      if (isPlaceholder(path, st, disk)) {
        skipped = true;
        continue;
      }
      const whiteout = isOverlayWhiteout(st);
      const opaque = st.isDirectory() && isOpaqueDir(sys, disk);
      const below = hidden ? null : inLowers(lowers, path);
      const item: UpperItem = { path, disk, st, whiteout, opaque };
      const at = items.length;
      items.push(item);
      const change: Change | null = whiteout ? { kind: "D", path } : below ? { kind: "C", path } : { kind: "A", path };
      // a copied-up directory with the same mode and mtime is not a change by itself (Docker)
      const same = !whiteout && !opaque && below !== null && st.isDirectory() && below.isDirectory() && st.mode === below.mode && st.mtimeNs === below.mtimeNs;
      const changeAt = changes.length;
      if (change.kind !== "C" || !same) {
        if (change.kind !== "C") markParent(rel, changeAt);
        changes.push(change);
      }
      if (opaque && below?.isDirectory()) {
        const mine = new Set(readdirSync(disk));
        for (const n of hiddenBelow(lowers, path)) if (!mine.has(n)) changes.push({ kind: "D", path: `${path}/${n}` });
      }
      if (st.isDirectory() && !whiteout) {
        if (!same || change.kind !== "C") changedDirs.add(path);
        const [k, s] = walk(disk, path, hidden || opaque || below === null);
        // the only reason for this directory to be in the upper dir is a runtime mount point: drop it
        if (!k && s && below?.isDirectory() && st.mode === below.mode && st.uid === below.uid && st.gid === below.gid) {
          items.splice(at);
          if (changes[changeAt] === change) changes.splice(changeAt, 1);
          continue;
        }
        skipped ||= s;
      }
      kept = true;
    }
    return [kept, skipped];
  };

  // Docker's "the parent of an added or deleted entry is modified", inserted before the child
  const markParent = (parent: string, at: number) => {
    if (parent === "" || changedDirs.has(parent)) return;
    changedDirs.add(parent);
    changes.splice(at, 0, { kind: "C", path: parent });
  };

  if (lstatOrNull(upper)?.isDirectory()) walk(upper, "", false);
  return { items, changes: changes.sort((a, b) => byteOrder(a.path, b.path)) };
}

/** `bunker diff CONTAINER` */
export function containerChanges(ref: string): Change[] {
  const id = resolveId(ref);
  const rec = loadRecord(id);
  if (!rec) throw new NotFoundError("container", ref);
  return scanUpper(cpaths.upper(id), rec.Bunker.Lower).changes;
}
