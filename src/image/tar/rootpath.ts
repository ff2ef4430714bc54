/**
 * Path resolution confined to a root, the way containerd's fs.RootPath does it: archive names are
 * cleaned lexically ("/.." stays at "/"), and every symlink met on the way is followed *inside* the
 * root (an absolute target restarts at the root, ".." never climbs above it). So a layer holding
 * "a -> /etc" then "a/passwd" writes <root>/etc/passwd, never the host's. The final component is never
 * followed: callers lstat it and create it with O_EXCL|O_NOFOLLOW.
 * Resolved directories are cached; the cache is dropped whenever a directory or symlink is removed or
 * replaced, which is the only way an earlier resolution can become stale (the applier is the only writer).
 * The applier may also say which names certainly do not exist yet (hooks.absent): in a directory this
 * apply made itself, every name it has not created is missing, and no lstat is needed to know it.
 */
import { lstatSync, mkdirSync, readlinkSync, type Stats } from "node:fs";
import { LayerApplyError } from "./errors.ts";

const MAX_LINKS = 255; // as the kernel's 40 is per lookup; 255 matches securejoin

/** Splits an archive path into clean components: no "", ".", and ".." resolved without leaving "/". */
export function cleanParts(name: string): string[] {
  if (name.includes("\0")) throw new LayerApplyError(`invalid name ${JSON.stringify(name)}: contains NUL`);
  const out: string[] = [];
  for (const c of name.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") out.pop();
    else out.push(c);
  }
  return out;
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
}

/** What the applier knows about the tree it is building, so the resolver can skip lstat calls. */
export interface ResolverHooks {
  /** true only when `rel` certainly does not exist (its parent was made empty by this apply, and no entry
   *  has created `rel` since); a false answer just means "lstat it" */
  absent?(rel: string): boolean;
  /** called after the resolver made directory `rel` (mode 0755) */
  made?(rel: string): void;
}

export class RootResolver {
  private cache = new Map<string, string>();
  constructor(readonly root: string, private readonly hooks: ResolverHooks = {}) {}

  /** Absolute path of a real (relative) path. */
  abs(rel: string): string {
    return rel ? `${this.root}/${rel}` : this.root;
  }

  invalidate(): void {
    this.cache.clear();
  }

  /**
   * Records that the archive directory `key` (clean components joined by "/") is the real directory
   * `real`: the applier has just made it (or found a directory there) under an already-resolved parent,
   * so resolving it again would only lstat its way to the same answer.
   */
  remember(key: string, real: string): void {
    this.cache.set(key, real);
  }

  /**
   * The real relative path of directory `parts` (symlinks followed in-root). Missing directories are
   * created (mode 0755, like Docker) when `create`, else null is returned. A non-directory on the way
   * is an error when creating, null otherwise.
   */
  resolveDir(parts: string[], create: boolean): string | null {
    const key = parts.join("/");
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    // Resolution is compositional (parts are clean, so no ".." can reach back past a prefix), so start
    // after the longest prefix already resolved: only the new components cost lstat calls.
    let start = 0;
    let base = "";
    for (let n = parts.length - 1; n > 0; n--) {
      const h = this.cache.get(parts.slice(0, n).join("/"));
      if (h !== undefined) {
        start = n;
        base = h;
        break;
      }
    }
    const cur: string[] = base ? base.split("/") : [];
    // cur[missing..] do not exist (yet): kept lexically, so "nothere/../etc" works like containerd's
    // RootPath; they are created at the end if the path still needs them.
    let missing = Infinity;
    const pending = parts.slice(start).reverse(); // a stack: pop() yields the next component
    let links = 0;
    while (pending.length) {
      const c = pending.pop()!;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        cur.pop();
        if (cur.length <= missing) missing = Infinity;
        continue;
      }
      cur.push(c);
      if (missing !== Infinity) continue;
      const rel = cur.join("/");
      const st = this.hooks.absent?.(rel) ? null : lstatOrNull(`${this.root}/${rel}`);
      if (!st) {
        missing = cur.length - 1;
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new LayerApplyError(`too many symlinks resolving ${JSON.stringify(key)}`);
        cur.pop();
        const target = readlinkSync(`${this.root}/${rel}`);
        if (target.startsWith("/")) cur.length = 0;
        const tp = target.split("/");
        for (let i = tp.length - 1; i >= 0; i--) pending.push(tp[i]!);
        continue;
      }
      if (!st.isDirectory()) {
        if (!create) return null;
        throw new LayerApplyError(`cannot create ${JSON.stringify(key)}: ${JSON.stringify(cur.join("/"))} is not a directory`);
      }
    }
    if (missing !== Infinity) {
      if (!create) return null;
      for (let i = missing; i < cur.length; i++) {
        const rel = cur.slice(0, i + 1).join("/");
        mkdirSync(`${this.root}/${rel}`, 0o755);
        this.hooks.made?.(rel);
      }
    }
    const real = cur.join("/");
    if (links === 0) {
      // no symlink on the way: every prefix resolved to itself under base, which saves the next sibling's walk
      for (let n = start + 1; n < parts.length; n++) {
        this.cache.set(parts.slice(0, n).join("/"), base ? `${base}/${parts.slice(start, n).join("/")}` : parts.slice(start, n).join("/"));
      }
    }
    this.cache.set(key, real);
    return real;
  }
}
