/**
 * `history`: the image config's history, newest first, in the shape of Docker's API
 * (ImageHistoryResponseItem). Entries that made a layer carry that layer's size; only the newest entry
 * carries the image ID and tags, the rest read "<missing>" as in Docker for non-local parents.
 */
import type { ImageStore } from "../../image/store.ts";
import { resolveImage } from "./resolve.ts";
import { repoTags } from "./view.ts";

export interface HistoryItem {
  Id: string;
  /** unix seconds */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export async function imageHistory(store: ImageStore, ref: string): Promise<HistoryItem[]> {
  const img = await resolveImage(store, ref);
  const layerSize = (i: number) => {
    const chain = img.chainIds[i];
    const snap = chain === undefined ? null : store.snapshots.stat(chain);
    return snap?.size ?? img.manifest.layers[i]?.size ?? 0;
  };
  const entries = img.config.history?.length
    ? img.config.history
    : img.config.rootfs.diff_ids.map(() => ({ created: img.config.created }));
  let layer = 0;
  const items: HistoryItem[] = entries.map((h) => {
    const empty = "empty_layer" in h && h.empty_layer === true;
    const size = empty ? 0 : layerSize(layer++);
    return {
      Id: "<missing>",
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      CreatedBy: ("created_by" in h && h.created_by) || "",
      Tags: null,
      Size: size,
      Comment: ("comment" in h && h.comment) || "",
    };
  });
  items.reverse();
  if (items[0]) {
    items[0].Id = img.id;
    const tags = repoTags(img);
    items[0].Tags = tags.length ? tags : null;
  }
  return items;
}
