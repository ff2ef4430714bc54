/**
 * A container's root filesystem as one O_PATH directory fd, the anchor every cp/export path is
 * resolved from (openat2 RESOLVE_IN_ROOT), so nothing inside the container can point us at the host.
 *
 *  - running, "process" view: /proc/<pid>/root, the container's own mount tree (its overlay and, later,
 *    its volumes). Writes go through the same overlay the container uses.
 *  - otherwise: an overlay we mount ourselves under the container dir, for as long as the copy runs.
 *    Read-only views stack the upper dir as the top lower layer
 *    (no workdir, never conflicts with a container starting meanwhile); writable views use upper+work.
 */
import { mkdirSync, mkdtempSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { BunkerError } from "../../errors.ts";
import { overlayData } from "../../runtime/init/rootfs.ts";
import type { RootfsSpec } from "../../runtime/spec.ts";
import { AT_FDCWD, MNT_DETACH, MS_NODEV, MS_NOSUID, MS_RDONLY, O_CLOEXEC, O_DIRECTORY, O_PATH } from "../../sys/constants.ts";
import { linuxSys } from "../../sys/index.ts";
import type { Sys } from "../../sys/sys.ts";
import { isAlive } from "../containers/procs.ts";
import { refresh } from "../containers/refresh.ts";
import { cpaths } from "../containers/store.ts";

export interface ContainerRoot {
  id: string;
  /** O_PATH fd of the container's "/" */
  fd: number;
  /** the view came from the live container (its mounts included) */
  live: boolean;
  release(): void;
}

export interface RootOptions {
  /** "process": the live container when it runs; "layers": always image layers + upper (export) */
  view: "process" | "layers";
  write: boolean;
}

export async function openContainerRoot(ref: string, o: RootOptions, sys: Sys = linuxSys()): Promise<ContainerRoot> {
  const v = await refresh(ref);
  if (o.view === "process" && v.running && v.live) {
    const { Pid, PidStart } = v.live;
    const fd = sys.openat(AT_FDCWD, `/proc/${Pid}/root`, O_PATH | O_DIRECTORY | O_CLOEXEC);
    // the pid may have been reused between reading live.json and the open: check it is still ours
    if (!isAlive(Pid, PidStart)) {
      sys.close(fd);
      throw new BunkerError(`Error response from daemon: container ${v.id} stopped while being accessed`);
    }
    return { id: v.id, fd, live: true, release: once(() => sys.close(fd)) };
  }
  const lower = v.record.Bunker.Lower;
  const upper = cpaths.upper(v.id), work = cpaths.work(v.id);
  let spec: RootfsSpec;
  if (o.write) {
    mkdirSync(work, { recursive: true, mode: 0o700 });
    spec = { lower, upper, work, merged: "", readonly: false };
  } else {
    // no upper/work: overlayData then writes a lowers-only (read-only) mount
    spec = { lower: [upper, ...lower], upper: "", work: "", merged: "", readonly: true };
  }
  const { data, cwd } = overlayData(spec);
  const mnt = mkdtempSync(join(cpaths.dir(v.id), ".mnt-"));
  const back = process.cwd();
  let fd = -1;
  try {
    if (cwd) process.chdir(cwd);
    sys.mount("overlay", mnt, "overlay", MS_NOSUID | MS_NODEV | (o.write ? 0 : MS_RDONLY), data);
    try {
      fd = sys.openat(AT_FDCWD, mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
    } catch (e) {
      sys.umount2(mnt, MNT_DETACH);
      throw e;
    }
  } catch (e) {
    rmdirSync(mnt);
    throw e;
  } finally {
    if (cwd) process.chdir(back);
  }
  // the mount stays attached while in use: on a detached mount the kernel answers EAGAIN to every
  // RESOLVE_IN_ROOT walk whose symlink ends in ".." (measured on 6.x). A crash leaves it under the
  // container dir, where `rm` and the stale-state repair unmount everything (refresh.ts).
  return {
    id: v.id, fd, live: false,
    release: once(() => {
      sys.close(fd);
      sys.umount2(mnt, MNT_DETACH);
      rmdirSync(mnt);
    }),
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
