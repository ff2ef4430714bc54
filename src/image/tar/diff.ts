/**
 * Changes between trees. diffOverlay* read an overlayfs upper dir (what a container or build step
 * wrote): its whiteouts become ".wh." entries, opaque dirs get ".wh..wh..opq", all else is archived as
 * is. diffTrees compares two plain trees (for snapshotters without overlay, and build caches).
 * The work is lstat/readdir bound, so it stays in TS; only fingerprints would gain from WASM and those
 * use the faster native hash (see fingerprint.ts).
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from "node:fs";
import type { Sys } from "../../sys/sys.ts";
import { fingerprintFile } from "./fingerprint.ts";
import { byteOrder, readExactly, readXattrs, typeOfStat } from "./fsutil.ts";
import { HardlinkTracker, entryFor, joinName, walkTree, type TarDirectoryOptions } from "./tardir.ts";
import { isOpaqueDir, isOverlayWhiteout, opaqueName, whiteoutEntry, whiteoutName } from "./whiteout.ts";
import { TarWriter } from "./writer.ts";

/** Like `docker diff`: A added, C changed, D deleted. */
export type ChangeKind = "A" | "C" | "D";
export interface Change {
  kind: ChangeKind;
  /** absolute path inside the container, e.g. "/etc/passwd" */
  path: string;
}
/** Docker API's numeric Kind for each change. */
export const CHANGE_KIND_API: Record<ChangeKind, number> = { C: 0, A: 1, D: 2 };

function lstatOrNull(p: string): BigIntStats | null {
  try {
    return lstatSync(p, { bigint: true });
  } catch {
    return null;
  }
}

/** Is `rel` visible in the lower layers (top-most first)? A whiteout in a higher lower hides it. */
function inLowers(lowers: string[], rel: string): boolean {
  for (const l of lowers) {
    const st = lstatOrNull(`${l}/${rel}`);
    if (st) return !isOverlayWhiteout(st);
  }
  return false;
}

/** The changes an overlay upper dir records over its lower dirs (top-most lower first). */
export function diffOverlayChanges(upper: string, lowers: string[]): Change[] {
  const out: Change[] = [];
  for (const { name, st } of walkTree(upper)) {
    if (name === "") continue;
    if (isOverlayWhiteout(st)) out.push({ kind: "D", path: `/${name}` });
    else out.push({ kind: inLowers(lowers, name) ? "C" : "A", path: `/${name}` });
  }
  return out.sort((a, b) => byteOrder(a.path, b.path));
}

/** The layer tar for an overlay upper dir: whiteouts and opaque dirs in their OCI form. */
export async function* diffOverlayTar(upper: string, opts: TarDirectoryOptions = {}): AsyncGenerator<Uint8Array> {
  const w = new TarWriter({ keepNsec: opts.keepNsec });
  const links = new HardlinkTracker();
  for (const item of walkTree(upper)) {
    if (item.name === "") continue;
    const name = joinName(opts.prefix, item.name);
    if (isOverlayWhiteout(item.st)) {
      yield* w.entry(whiteoutEntry(whiteoutName(name)));
      continue;
    }
    const e = entryFor(item, name, opts, links);
    if (!e) continue;
    if (e.type === "file" && e.size > 0) yield* w.entry(e, readExactly(item.path, e.size));
    else yield* w.entry(e);
    // right after its directory, before any child, so appliers see it before the new content
    if (e.type === "dir" && isOpaqueDir(opts.sys, item.path)) yield* w.entry(whiteoutEntry(opaqueName(name)));
  }
  yield w.finish();
}

export interface DiffTreesOptions {
  /** compare xattrs too */
  sys?: Sys;
  /**
   * When a file differs from its old self only by mtime, compare content fingerprints and call it
   * unchanged if they match (default true). false: any mtime change is a change, as in `docker diff`.
   */
  fingerprint?: boolean;
}

function sameXattrs(sys: Sys | undefined, a: string, b: string): boolean {
  if (!sys) return true;
  const x = readXattrs(sys, a) ?? {}, y = readXattrs(sys, b) ?? {};
  const kx = Object.keys(x), ky = Object.keys(y);
  if (kx.length !== ky.length) return false;
  for (const k of kx) {
    const v = y[k];
    if (!v || Buffer.compare(x[k]!, v) !== 0) return false;
  }
  return true;
}

/** Does the upper path differ from the lower one? (Directory sizes and mtimes are not compared.) */
function differs(lp: string, up: string, ls: BigIntStats, us: BigIntStats, opts: DiffTreesOptions): boolean {
  const t = typeOfStat(ls);
  if (t !== typeOfStat(us)) return true;
  if (ls.mode !== us.mode || ls.uid !== us.uid || ls.gid !== us.gid) return true;
  if ((t === "char" || t === "block") && ls.rdev !== us.rdev) return true;
  if (t === "symlink" && readlinkSync(lp) !== readlinkSync(up)) return true;
  if (t !== "dir" && ls.size !== us.size) return true;
  if (!sameXattrs(opts.sys, lp, up)) return true;
  if (t !== "dir" && ls.mtimeNs !== us.mtimeNs) {
    // same size, only the mtime moved: content decides when allowed to look
    if (t !== "file" || opts.fingerprint === false) return true;
    return fingerprintFile(lp) !== fingerprintFile(up);
  }
  return false;
}

/** Changes from lowerRoot to upperRoot, sorted by path, with the parents of changes marked C. */
export function diffTrees(lowerRoot: string, upperRoot: string, opts: DiffTreesOptions = {}): Change[] {
  const out: Change[] = [];
  const addAll = (dir: string, rel: string): void => {
    for (const n of readdirSync(dir).sort(byteOrder)) {
      const p = `${dir}/${n}`, r = `${rel}/${n}`;
      out.push({ kind: "A", path: r });
      if (lstatOrNull(p)?.isDirectory()) addAll(p, r);
    }
  };
  // returns whether anything under rel changed
  const walk = (ld: string, ud: string, rel: string): boolean => {
    const ln = readdirSync(ld).sort(byteOrder), un = readdirSync(ud).sort(byteOrder);
    let i = 0, j = 0, any = false;
    while (i < ln.length || j < un.length) {
      const c = i >= ln.length ? 1 : j >= un.length ? -1 : byteOrder(ln[i]!, un[j]!);
      const name = c <= 0 ? ln[i]! : un[j]!;
      const r = `${rel}/${name}`, lp = `${ld}/${name}`, up = `${ud}/${name}`;
      if (c < 0) { out.push({ kind: "D", path: r }); i++; any = true; continue; }
      if (c > 0) {
        out.push({ kind: "A", path: r });
        if (lstatOrNull(up)?.isDirectory()) addAll(up, r);
        j++; any = true; continue;
      }
      i++; j++;
      const ls = lstatOrNull(lp), us = lstatOrNull(up);
      if (!ls || !us) continue; // vanished while we looked
      const changed = differs(lp, up, ls, us, opts);
      let inner = false;
      if (ls.isDirectory() && us.isDirectory()) inner = walk(lp, up, r);
      else if (us.isDirectory()) addAll(up, r);
      if (changed || inner) out.push({ kind: "C", path: r });
      any ||= changed || inner;
    }
    return any;
  };
  walk(lowerRoot, upperRoot, "");
  return out.sort((a, b) => byteOrder(a.path, b.path));
}
