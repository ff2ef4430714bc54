/**
 * Docker's cp path rules (moby pkg/archive/copy.go PrepareArchiveCopy, `docker cp --help`), as a pure
 * function: where the copy lands, and under which name.
 *  - SRC a file: DEST missing → a file DEST (but DEST ending in "/" → "no such directory"); DEST a
 *    file → overwritten; DEST a directory → DEST/basename(SRC).
 *  - SRC a directory: DEST missing → DEST is created with SRC's contents; DEST a file → "cannot copy
 *    directory"; DEST a directory → DEST/basename(SRC), or SRC's contents when SRC ends in "/.".
 *  - SRC ending in "/" or "/." must be a directory ("not a directory").
 */
import { posix } from "node:path";
import { BunkerError } from "../../errors.ts";

/** an error of the client side of Docker's cp (path rules, local files): shown without a daemon prefix */
export class CopyRuleError extends BunkerError {
  constructor(message: string) {
    super(message);
    this.name = "CopyRuleError";
  }
}

export interface DestInfo {
  exists: boolean;
  isDir: boolean;
}

export interface CopyPlan {
  /** existing directory the archive is unpacked into */
  dir: string;
  /** archive name of SRC's top ("" = only SRC's contents) */
  name: string;
}

const assertsDir = (p: string) => p.endsWith("/") || p.endsWith("/.") || p === ".";

/** SRC names its directory's contents: "dir/." (or "/") */
export function copiesContents(src: string): boolean {
  return src.endsWith("/.") || src === "." || /^\/+$/.test(src);
}

/** the last path component, ignoring trailing "/" and "/." */
export function baseName(p: string): string {
  const clean = p.replace(/(\/\.)+$/, "").replace(/\/+$/, "");
  return clean === "" ? "/" : posix.basename(clean);
}

/** the directory a path is in, ignoring trailing "/" ("." for a bare relative name) */
export function parentDir(p: string): string {
  const clean = p.replace(/\/+$/, "");
  return clean === "" ? "/" : posix.dirname(clean);
}

export function planCopy(src: string, srcIsDir: boolean, dst: string, d: DestInfo): CopyPlan {
  if (assertsDir(src) && !srcIsDir) throw new CopyRuleError("not a directory");
  const contents = srcIsDir && copiesContents(src);
  if (d.exists && d.isDir) return { dir: dst, name: contents ? "" : baseName(src) };
  if (d.exists) {
    if (srcIsDir) throw new CopyRuleError("cannot copy directory");
    if (assertsDir(dst)) throw new CopyRuleError("not a directory");
    return { dir: parentDir(dst), name: baseName(dst) };
  }
  if (assertsDir(dst) && !srcIsDir) throw new CopyRuleError("no such directory");
  return { dir: parentDir(dst), name: baseName(dst) };
}

/** "ctr:/path" → { container, path }; a local path is one without ":" or starting with "/" or "." */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith("/") || arg.startsWith(".")) return { path: arg };
  const i = arg.indexOf(":");
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}
