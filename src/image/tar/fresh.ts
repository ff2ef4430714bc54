/**
 * What applyLayer knows about the tree it is building, so it can skip syscalls whose answer it already
 * has. Layers are mostly unpacked into a new, empty snapshot directory; there, a name this apply has not
 * created does not exist (no lstat needed before creating it), and a new file already has the right
 * owner when the archive asks for our own uid/gid and no setgid directory hands its group down.
 * Everything here errs one way only: "unknown" means the applier makes the call it always made.
 * The applier is the only writer of the tree while it runs (the same assumption as the resolver cache).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";

const S_ISGID = 0o2000;

/** The process umask, read without changing it (umask(2) would, for every thread); null if unknown. */
function currentUmask(): number | null {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? parseInt(m[1]!, 8) : null;
  } catch {
    return null;
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

export class FreshTree {
  /**
   * Directories this apply made (the root too, when it started empty): real relative path -> mode, or
   * null when their setgid bit is unknown (made inside a directory that was already there).
   */
  private readonly dirs = new Map<string, number | null>();
  /** names this apply created. Only grows: a name here may still exist, so the applier lstats it. */
  private readonly names = new Set<string>();
  private readonly umask = currentUmask();
  private readonly euid = process.geteuid?.() ?? -1;
  private readonly egid = process.getegid?.() ?? -1;

  constructor(root: string) {
    if (readdirSync(root).length === 0) this.dirs.set("", statSync(root).mode & 0o7777);
  }

  /** true only if `rel` certainly does not exist */
  absent(rel: string): boolean {
    return this.dirs.has(parentOf(rel)) && !this.names.has(rel);
  }

  /** `rel` was created (any type) */
  made(rel: string): void {
    this.names.add(rel);
  }

  /**
   * Directory `rel` was created, empty, with `mode`; without one (made implicitly, 0755) it inherits
   * the setgid bit of its parent, which may be unknown.
   */
  madeDir(rel: string, mode: number, implicit = false): void {
    this.names.add(rel);
    if (!implicit) {
      this.dirs.set(rel, mode);
      return;
    }
    const pm = this.dirs.get(parentOf(rel));
    this.dirs.set(rel, pm === undefined || pm === null ? null : mode | (pm & S_ISGID));
  }

  /** an existing directory of ours got its mode set by an entry */
  setMode(rel: string, mode: number): void {
    if (this.dirs.has(rel)) this.dirs.set(rel, mode & 0o7777);
  }

  /** Something was removed: the contents of our directories are no longer known. */
  forgetDirs(): void {
    this.dirs.clear();
  }

  /** A child created in `parent` gets uid/gid without a chown (parent known, and not setgid). */
  ownerIs(parent: string, uid: number, gid: number): boolean {
    return uid === this.euid && gid === this.egid && this.plainDir(parent);
  }

  /**
   * The create call itself gives `mode` exactly: plain permission bits the umask leaves alone (setuid &
   * co. must follow the chown), and for a directory a parent that passes no setgid bit down.
   */
  modeAtCreate(parent: string, mode: number, isDir: boolean): boolean {
    if (this.umask === null || (mode & 0o7000) !== 0 || (mode & this.umask) !== 0) return false;
    return !isDir || this.plainDir(parent);
  }

  private plainDir(rel: string): boolean {
    const m = this.dirs.get(rel);
    return m !== undefined && m !== null && (m & S_ISGID) === 0;
  }
}
