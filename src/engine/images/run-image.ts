/**
 * What run/create needs from an image (see containers/image-source.ts): its ID, the config section, and
 * the unpacked layer dirs, top first, ready to be overlay lower dirs.
 */
import type { ResolvedImage } from "../containers/image-source.ts";
import { ensureSnapshots } from "../../image/unpack.ts";
import { paths } from "../../config.ts";
import { ImageStore } from "../../image/store.ts";
import { findImage } from "./resolve.ts";

/** null when no local image matches (the caller decides about pulling) */
export async function imageForRun(ref: string): Promise<ResolvedImage | null> {
  // read-only lookup: the store's repair is left to the commands that write (~1 ms of every run)
  const store = await ImageStore.open(paths().root, { repair: false });
  const img = await findImage(store, ref);
  if (!img) return null;
  const top = img.chainIds[img.chainIds.length - 1];
  // commit stores only the layer blob; the first run unpacks it (verified against its diff ID), after
  // clearing what a crashed unpack may have left
  if (top !== undefined && !store.snapshots.stat(top)) {
    await store.repair();
    await ensureSnapshots(store, img.manifest, img.config);
  }
  return {
    id: img.id,
    config: img.config.config ?? {},
    lower: top === undefined ? [] : store.snapshots.lowerDirs(top),
  };
}
