/**
 * Docker's masked and read-only paths, applied after pivot_root (there is no host path left to escape
 * to). Masked: /dev/null bound over files, an empty read-only tmpfs over directories. Read-only: a bind of
 * the path onto itself, remounted read-only. Missing paths are skipped, as runc does.
 */
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT } from "../../sys/constants.ts";
import type { InitContext } from "./context.ts";

export function maskPaths(ctx: InitContext, paths: string[]): void {
  for (const p of paths) {
    const kind = ctx.fs.kind(p);
    if (kind === null) continue;
    if (kind === "dir") ctx.sys.mount("tmpfs", p, "tmpfs", MS_RDONLY, null);
    else ctx.sys.mount("/dev/null", p, null, MS_BIND, null);
  }
}

export function readonlyPaths(ctx: InitContext, paths: string[]): void {
  for (const p of paths) {
    if (ctx.fs.kind(p) === null) continue;
    ctx.sys.mount(p, p, null, MS_BIND | MS_REC, null);
    // keep the flags of the /proc mount under it (a bind remount replaces them all)
    ctx.sys.mount(null, p, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
  }
}
