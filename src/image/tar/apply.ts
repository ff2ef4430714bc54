/**
 * applyLayer: unpack a layer tar into a directory, never writing outside it (see rootpath.ts for how
 * names and symlinks are confined). "overlay" mode keeps whiteouts as overlayfs expects them in a lower
 * dir (0/0 char devices, opaque xattrs); "merge" mode performs them (deletes), for flattening layers.
 * Uses node:fs (sync) for plain file operations and Sys for what Node lacks: mknod, xattrs, and
 * utimensat with nanoseconds on symlinks. Runs in the engine's own namespaces, never in a container's.
 *
 * Speed: file creation dominates (pull, import), so the common case costs as few syscalls as GNU tar's.
 * A regular file is openat + write + futimens + close, plus fchown/fchmod only when creation did not
 * already give the right owner/mode; the target is not lstat'ed when its directory was made empty by
 * this apply and nothing of that name was created since (fresh.ts); parents resolve from a cache.
 */
import { closeSync, constants, linkSync, lchownSync, chmodSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { FreshTree } from "./fresh.ts";
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, S_IFBLK, S_IFCHR, S_IFIFO } from "../../sys/constants.ts";
import { SysError } from "../../sys/errors.ts";
import { makeDev } from "../../sys/paths.ts";
import type { Sys } from "../../sys/sys.ts";
import { LayerApplyError } from "./errors.ts";
import { readTar } from "./reader.ts";
import { RootResolver, cleanParts } from "./rootpath.ts";
import type { TarEntry } from "./types.ts";
import { classifyWhiteout, makeOverlayWhiteout, setOpaqueDir } from "./whiteout.ts";

export interface ApplyOptions {
  mode: "overlay" | "merge";
  sys: Sys;
  /** keep the applier's own uid/gid instead of the archive's (for a future rootless mode) */
  noChown?: boolean;
}

export interface ApplyResult {
  /** bytes of file content written */
  size: number;
  /** tar entries processed (whiteouts included) */
  entries: number;
}

const EOPNOTSUPP = 95;

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
}

export async function applyLayer(
  stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Iterable<Uint8Array>,
  rootDir: string,
  opts: ApplyOptions,
): Promise<ApplyResult> {
  const root = realpathSync(rootDir); // the root itself may be reached through a symlink; its inside may not
  const a = new Applier(root, opts);
  for await (const { entry, body } of readTar(stream)) {
    a.entries++;
    await a.apply(entry, body);
  }
  a.finishDirs();
  return { size: a.size, entries: a.entries };
}

class Applier {
  size = 0;
  entries = 0;
  private readonly r: RootResolver;
  /** what this apply made, to skip lstat/chown/chmod calls whose answer it already knows */
  private readonly fresh: FreshTree;
  /** real paths this layer created: merge mode's opaque dirs keep these, drop the rest */
  private readonly created = new Set<string>();
  /** directory mtimes, set last (writing children changes them) */
  private readonly dirTimes: Array<[string, TarEntry]> = [];
  /** anything removed or replaced: dirTimes paths must then be checked again before use */
  private removed = false;

  constructor(private readonly root: string, private readonly opts: ApplyOptions) {
    this.fresh = new FreshTree(root);
    this.r = new RootResolver(root, { absent: (rel) => this.fresh.absent(rel), made: (rel) => this.fresh.madeDir(rel, 0o755, true) });
  }

  async apply(e: TarEntry, body: AsyncIterable<Uint8Array>): Promise<void> {
    const parts = cleanParts(e.name);
    if (parts.length === 0) {
      // "./" or "/": the root itself. Only a directory may describe it; anything else is ignored,
      // as containerd does (a symlink named ".." must not replace the root).
      if (e.type === "dir") {
        this.meta("", e, false, false);
        this.fresh.setMode("", e.mode);
        this.dirTimes.push(["", e]);
      }
      return;
    }
    const base = parts[parts.length - 1]!;
    const parentParts = parts.slice(0, -1);
    const wh = classifyWhiteout(base);
    if (wh.kind === "meta") return;
    if (wh.kind === "opaque") return this.opaque(parentParts);
    if (wh.kind === "whiteout") return this.whiteout(parentParts, wh.name, e);

    const parent = this.r.resolveDir(parentParts, true)!;
    const rel = parent ? `${parent}/${base}` : base;
    const path = this.r.abs(rel);
    const old = this.fresh.absent(rel) ? null : lstatOrNull(path);
    if (old && !(e.type === "dir" && old.isDirectory())) this.remove(path, old);
    this.markCreated(rel);
    this.fresh.made(rel);
    // what creation gives for free: our own ids (unless a setgid parent passes its group on) and the
    // permission bits when they need no special bits and survive the umask
    const ownerOk = this.opts.noChown === true || this.fresh.ownerIs(parent, e.uid, e.gid);
    const modeOk = this.fresh.modeAtCreate(parent, e.mode, e.type === "dir");

    switch (e.type) {
      case "dir": {
        const made = !old?.isDirectory(); // else the directory stays, with its contents
        // created 0700 unless the final mode can be had at once (a restrictive mode still comes after
        // the contents, so a rootless applier can write them)
        const direct = made && modeOk && (e.mode & 0o700) === 0o700;
        if (made) {
          mkdirSync(path, direct ? e.mode & 0o777 : 0o700);
          this.fresh.madeDir(rel, e.mode);
        } else this.fresh.setMode(rel, e.mode);
        this.meta(rel, e, made && ownerOk, direct);
        this.r.remember(parts.join("/"), rel);
        this.dirTimes.push([rel, e]);
        return;
      }
      case "file":
        await this.writeFile(path, e, body, ownerOk, modeOk);
        return;
      case "symlink":
        symlinkSync(e.linkname ?? "", path);
        // Docker's layer size counts a symlink's lstat size (its target's length), like its directory.Size
        this.size += Buffer.byteLength(e.linkname ?? "");
        break;
      case "hardlink":
        linkSync(this.linkTarget(e), path);
        return; // the inode already has its metadata; chmod here could reach through a symlink
      case "char":
      case "block":
      case "fifo": {
        const fmt = e.type === "char" ? S_IFCHR : e.type === "block" ? S_IFBLK : S_IFIFO;
        const dev = e.type === "fifo" ? 0 : makeDev(e.devmajor ?? 0, e.devminor ?? 0);
        this.opts.sys.mknodat(AT_FDCWD, path, fmt | (e.mode & 0o777), dev);
        break;
      }
    }
    this.meta(rel, e, ownerOk, false);
    this.setTime(path, e);
  }

  /**
   * A new regular file: content, then owner, mode and times on the open fd (no path lookups), in the
   * order that keeps setuid bits (chown clears them, so chmod follows it). It is created 0600 unless its
   * final mode is plain permission bits the umask leaves alone; then that is the mode from the start.
   */
  private async writeFile(path: string, e: TarEntry, body: AsyncIterable<Uint8Array>, ownerOk: boolean, modeOk: boolean): Promise<void> {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, modeOk ? e.mode & 0o777 : 0o600);
    try {
      for await (const chunk of body) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        this.size += chunk.length;
      }
      const sys = this.opts.sys;
      if (!ownerOk) sys.fchown(fd, e.uid, e.gid);
      if (!modeOk) sys.fchmod(fd, e.mode & 0o7777);
      if (e.xattrs) this.xattrs(path, e);
      const t = { sec: e.mtime, nsec: e.mtimeNsec };
      sys.futimens(fd, t, t); // after the last write, which would move mtime again
    } finally {
      closeSync(fd);
    }
  }
  /** Where a hardlink points: an existing non-directory, resolved in-root like any name. */
  private linkTarget(e: TarEntry): string {
    const lp = cleanParts(e.linkname ?? "");
    if (lp.length === 0) throw new LayerApplyError(`hardlink ${JSON.stringify(e.name)} has an empty target`);
    const dir = this.r.resolveDir(lp.slice(0, -1), false);
    const target = dir === null ? null : this.r.abs(dir ? `${dir}/${lp[lp.length - 1]}` : lp[lp.length - 1]!);
    const st = target === null ? null : lstatOrNull(target);
    if (!target || !st) throw new LayerApplyError(`hardlink ${JSON.stringify(e.name)}: target ${JSON.stringify(e.linkname)} not found in the layer root`);
    if (st.isDirectory()) throw new LayerApplyError(`hardlink ${JSON.stringify(e.name)}: target ${JSON.stringify(e.linkname)} is a directory`);
    return target;
  }

  /** Ownership, then mode (chown clears setuid, so chmod comes second), then xattrs; skips what creation gave. */
  private meta(rel: string, e: TarEntry, ownerOk: boolean, modeOk: boolean): void {
    const path = this.r.abs(rel);
    if (!this.opts.noChown && !ownerOk) lchownSync(path, e.uid, e.gid);
    if (e.type !== "symlink" && !modeOk) chmodSync(path, e.mode & 0o7777);
    if (e.xattrs) this.xattrs(path, e);
  }

  private xattrs(path: string, e: TarEntry): void {
    for (const [k, v] of Object.entries(e.xattrs ?? {})) {
      // a layer must not steer overlayfs (redirects, opaque flags) through raw xattrs
      if (k.startsWith("trusted.overlay.")) continue;
      try {
        this.opts.sys.lsetxattr(path, k, v);
      } catch (err) {
        if (!(err instanceof SysError && err.errno === EOPNOTSUPP)) throw err;
      }
    }
  }

  private setTime(path: string, e: TarEntry): void {
    const t = { sec: e.mtime, nsec: e.mtimeNsec };
    this.opts.sys.utimensat(AT_FDCWD, path, t, t, AT_SYMLINK_NOFOLLOW);
  }

  finishDirs(): void {
    for (let i = this.dirTimes.length - 1; i >= 0; i--) {
      const [rel, e] = this.dirTimes[i]!;
      const path = this.r.abs(rel);
      // may have been whited out or replaced since; nothing was if nothing was removed at all
      if (!this.removed || lstatOrNull(path)?.isDirectory()) this.setTime(path, e);
    }
  }

  /** Records rel and its ancestors (parents made implicitly count as this layer's too). */
  private markCreated(rel: string): void {
    for (let p = rel; p && !this.created.has(p); p = p.slice(0, Math.max(0, p.lastIndexOf("/")))) this.created.add(p);
  }

  private remove(path: string, st: Stats): void {
    this.removed = true;
    if (st.isDirectory()) {
      this.fresh.forgetDirs(); // what they held is no longer known
      rmSync(path, { recursive: true, force: true });
    } else unlinkSync(path);
    if (st.isDirectory() || st.isSymbolicLink()) this.r.invalidate();
  }

  private whiteout(parentParts: string[], name: string, e: TarEntry): void {
    if (this.opts.mode === "merge") {
      const parent = this.r.resolveDir(parentParts, false);
      if (parent === null) return; // nothing there to delete
      const path = this.r.abs(parent ? `${parent}/${name}` : name);
      const st = lstatOrNull(path);
      if (st) this.remove(path, st);
      return;
    }
    const parent = this.r.resolveDir(parentParts, true)!;
    const rel = parent ? `${parent}/${name}` : name;
    const path = this.r.abs(rel);
    const st = lstatOrNull(path);
    if (st) this.remove(path, st);
    makeOverlayWhiteout(this.opts.sys, path);
    this.fresh.made(rel);
    if (!this.opts.noChown) lchownSync(path, e.uid, e.gid);
    this.markCreated(rel);
  }

  private opaque(parentParts: string[]): void {
    const parent = this.r.resolveDir(parentParts, true)!;
    const path = this.r.abs(parent);
    if (this.opts.mode === "overlay") {
      setOpaqueDir(this.opts.sys, path);
      return;
    }
    // merge: everything under the directory that this layer did not put there goes away
    for (const child of readdirSync(path)) {
      const rel = parent ? `${parent}/${child}` : child;
      if (this.created.has(rel)) continue;
      const cp = this.r.abs(rel);
      const st = lstatOrNull(cp);
      if (st) this.remove(cp, st);
    }
  }
}
