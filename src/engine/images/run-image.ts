/**
 * What run/create needs from an image (see containers/image-source.ts): its ID, the config section, and
 * the unpacked layer dirs, top first, ready to be overlay lower dirs.
 */
import type { ResolvedImage } from "../containers/image-source.ts";
import { ensureSnapshots } from "../../image/unpack.ts";
import { findImage, openImageStore } from "./resolve.ts";

/** null when no local image matches (the caller decides about pulling) */
export async function imageForRun(ref: string): Promise<ResolvedImage | null> {
  const store = await openImageStore();
  const img = await findImage(store, ref);
  if (!img) return null;
  const top = img.chainIds[img.chainIds.length - 1];
  // commit stores only the layer blob; the first run unpacks it (verified against its diff ID)
  if (top !== undefined && !store.snapshots.stat(top)) await ensureSnapshots(store, img.manifest, img.config);
  return {
    id: img.id,
    config: img.config.config ?? {},
    lower: top === undefined ? [] : store.snapshots.lowerDirs(top),
  };
}
