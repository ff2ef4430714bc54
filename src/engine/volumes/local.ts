/**
 * Docker's "local" driver options: `-o type=tmpfs -o device=tmpfs -o o=size=64m` (or type=none,
 * device=/host/dir, o=bind) make the volume a mount on its _data dir while some container uses it.
 * Validation mirrors moby's volume/local (same keys, same "missing required option" rules and wording).
 */
import { readFileSync } from "node:fs";
import { BunkerError } from "../../errors.ts";
import { parseMountOptions } from "../../runtime/init/mountat.ts";
import { MNT_DETACH, UMOUNT_NOFOLLOW } from "../../sys/constants.ts";
import { Errno, SysError } from "../../sys/errors.ts";
import type { Sys } from "../../sys/sys.ts";

const VALID_OPTS = new Set(["type", "o", "device", "size"]);
/** an option needs these others (moby's mandatoryOpts) */
const MANDATORY: Record<string, string[]> = { device: ["type"], type: ["device"], o: ["device", "type"] };

/** Throws Docker's message (without the "create NAME: " prefix the caller adds). */
export function validateDriverOpts(opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) {
    if (!VALID_OPTS.has(k)) throw new BunkerError(`invalid option: ${JSON.stringify(k)}`);
  }
  if (opts.size !== undefined) {
    // moby accepts size only with XFS project quotas; we have none, so say so as it does
    throw new BunkerError("quota size requested but no quota support");
  }
  for (const k of Object.keys(MANDATORY).sort()) {
    if (opts[k] === undefined) continue;
    for (const need of MANDATORY[k]!) {
      if (opts[need] === undefined) throw new BunkerError(`missing required option: ${JSON.stringify(need)}`);
    }
  }
}

/** Does this volume mount something on its _data (rather than being a plain directory)? */
export function needsMount(opts: Record<string, string> | null): boolean {
  return !!opts && opts.device !== undefined && opts.type !== undefined;
}

/** mount(2) arguments for the options, as moby/sys/mount.Mount derives them from "o". */
export function mountArgs(opts: Record<string, string>): { source: string; fstype: string; flags: number; data: string } {
  const parsed = parseMountOptions((opts.o ?? "").split(",").filter((s) => s !== ""));
  // propagation words in "o" are applied by moby after the mount; for a volume root they change nothing visible
  return { source: opts.device!, fstype: opts.type!, flags: parsed.flags, data: parsed.data };
}

/** Is `path` a mount point right now (in this mount namespace)? Reads mountinfo: no stat across devices. */
export function isMountPoint(path: string): boolean {
  let info: string;
  try {
    info = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return false;
  }
  for (const line of info.split("\n")) {
    const mp = line.split(" ")[4];
    if (mp !== undefined && unescapeMountinfo(mp) === path) return true;
  }
  return false;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function mountLocal(sys: Sys, dataDir: string, opts: Record<string, string>): void {
  const a = mountArgs(opts);
  try {
    sys.mount(a.source, dataDir, a.fstype, a.flags, a.data || null);
  } catch (err) {
    throw new BunkerError(`error while mounting volume '${dataDir}': failed to mount local volume: ${err instanceof Error ? err.message : err}`, { cause: err });
  }
}

/** Unmounts every layer stacked on `dataDir` (a crash could have mounted twice). */
export function unmountLocal(sys: Sys, dataDir: string): void {
  for (let i = 0; i < 16 && isMountPoint(dataDir); i++) {
    try {
      sys.umount2(dataDir, UMOUNT_NOFOLLOW);
    } catch (err) {
      if (err instanceof SysError && err.errno === Errno.EBUSY) sys.umount2(dataDir, MNT_DETACH | UMOUNT_NOFOLLOW);
      else if (!(err instanceof SysError && err.errno === Errno.EINVAL)) throw err;
    }
  }
}
