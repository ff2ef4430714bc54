/**
 * Path resolution confined to a root, the way containerd's fs.RootPath does it: archive names are
 * cleaned lexically ("/.." stays at "/"), and every symlink met on the way is followed *inside* the
 * root (an absolute target restarts at the root, ".." never climbs above it). So a layer holding
 * "a -> /etc" then "a/passwd" writes <root>/etc/passwd, never the host's. The final component is never
 * followed: callers lstat it and create it with O_EXCL|O_NOFOLLOW.
 * Resolved directories are cached; the cache is dropped whenever a directory or symlink is removed or
 * replaced, which is the only way an earlier resolution can become stale (the applier is the only writer).
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

export class RootResolver {
  private cache = new Map<string, string>();
  constructor(readonly root: string) {}

  /** Absolute path of a real (relative) path. */
  abs(rel: string): string {
    return rel ? `${this.root}/${rel}` : this.root;
  }

  invalidate(): void {
    this.cache.clear();
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
    const cur: string[] = [];
    // cur[missing..] do not exist (yet): kept lexically, so "nothere/../etc" works like containerd's
    // RootPath; they are created at the end if the path still needs them.
    let missing = Infinity;
    const pending = parts.slice().reverse(); // a stack: pop() yields the next component
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
      const abs = `${this.root}/${cur.join("/")}`;
      const st = lstatOrNull(abs);
      if (!st) {
        missing = cur.length - 1;
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new LayerApplyError(`too many symlinks resolving ${JSON.stringify(key)}`);
        cur.pop();
        const target = readlinkSync(abs);
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
      for (let i = missing; i < cur.length; i++) mkdirSync(`${this.root}/${cur.slice(0, i + 1).join("/")}`, 0o755);
    }
    const real = cur.join("/");
    this.cache.set(key, real);
    return real;
  }
}
