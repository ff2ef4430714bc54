/** Local volumes: the store, the local driver's mounts, copy-up from the image, and who uses what. */
export {
  createVolume, getVolume, volumeExists, listVolumes, volumeView, removeVolume, pruneVolumes, repairVolumes,
  ensureMounted, releaseIfUnused, validateVolumeName, randomVolumeName, isAnonymous, vpaths,
} from "./store.ts";
export type { CreateVolumeOptions, PruneResult } from "./store.ts";
export { populateVolume, resolveInImage } from "./populate.ts";
export { volumeUsers, allVolumeUsers, activeUsers, claimVolumes, dropVolumeClaim } from "./users.ts";
export { treeSize } from "./size.ts";
export { listVolumesFiltered } from "./filter.ts";
export { ANONYMOUS_LABEL, type VolumeMeta, type VolumeView } from "./types.ts";
import { ensureMounted, releaseIfUnused } from "./store.ts";

type MountsLike = ReadonlyArray<{ Type?: string; Name?: string }>;

/**
 * Container start: make every volume in the record's Mounts ready (mounts -o type/device volumes).
 * Call before the runtime starts init. On failure, what was mounted for this start is released again.
 */
export function activateVolumes(mounts: MountsLike, containerId: string): void {
  const done: string[] = [];
  try {
    for (const m of mounts) {
      if (m.Type !== "volume" || !m.Name) continue;
      ensureMounted(m.Name, containerId);
      done.push(m.Name);
    }
  } catch (err) {
    for (const n of done) releaseIfUnused(n, containerId);
    throw err;
  }
}

/** Container stopped (or cleaned up after a crash/reboot): drop its claim on each volume. Idempotent. */
export function releaseVolumes(mounts: MountsLike, containerId: string): void {
  for (const m of mounts) {
    if (m.Type !== "volume" || !m.Name) continue;
    try {
      releaseIfUnused(m.Name, containerId);
    } catch {}
  }
}
