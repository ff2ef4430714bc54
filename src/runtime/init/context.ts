/**
 * What every init step gets: the syscall layer and the few file operations Sys does not cover (mkdir,
 * symlink, small reads/writes, stat). Both are interfaces so unit tests run the steps with RecordingSys
 * and an in-memory FS, and check the order of calls. The real FS uses node:fs *Sync calls: they run on
 * the calling (main) thread, the only one that is in the new namespaces (measured: DESIGN.md).
 */
import * as fs from "node:fs";
import type { Sys } from "../../sys/sys.ts";
import { LaunchError, type InitStage } from "../errors.ts";
import { SysError } from "../../sys/errors.ts";

export type FileKind = "dir" | "file" | "symlink" | "other";

export interface InitFs {
  /** kind of the object at path (symlinks followed unless `nofollow`), or null when missing */
  kind(path: string, nofollow?: boolean): FileKind | null;
  mkdir(path: string, mode: number, recursive?: boolean): void;
  /** create an empty file if missing (bind-mount target) */
  touch(path: string, mode: number): void;
  symlink(target: string, path: string): void;
  readFile(path: string): string;
  writeFile(path: string, data: string): void;
  /** access(X_OK) with the real uid/gid: true when executable by the current user */
  executable(path: string): boolean;
}

export interface InitContext {
  sys: Sys;
  fs: InitFs;
  /** talk to the parent (hold points, the pty); absent in unit tests of single steps */
  link?: { send(m: import("../channel.ts").InitMessage): void; waitGo(): boolean };
}

export const nodeFs: InitFs = {
  kind(path, nofollow = false) {
    try {
      const st = nofollow ? fs.lstatSync(path) : fs.statSync(path);
      return st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "symlink" : "other";
    } catch {
      return null;
    }
  },
  mkdir(path, mode, recursive = false) {
    try {
      fs.mkdirSync(path, { mode, recursive });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  },
  touch(path, mode) {
    fs.closeSync(fs.openSync(path, fs.constants.O_CREAT | fs.constants.O_WRONLY, mode));
  },
  symlink(target, path) {
    try {
      fs.symlinkSync(target, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  },
  readFile: (path) => fs.readFileSync(path, "utf8"),
  writeFile: (path, data) => fs.writeFileSync(path, data),
  executable(path) {
    try {
      fs.accessSync(path, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** Run `fn` as step `stage`: any failure becomes a LaunchError naming the stage (exit 125). */
export function step<T>(stage: InitStage, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LaunchError) throw e;
    const errno = e instanceof SysError ? e.errno : 0;
    const msg = e instanceof Error ? e.message : String(e);
    throw new LaunchError(stage, `${stage}: ${msg}`, { errno, cause: e });
  }
}
