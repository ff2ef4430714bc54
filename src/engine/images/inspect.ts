/** `image inspect`: Docker's ImageInspect JSON for each reference; misses are reported, not thrown. */
import type { ImageStore } from "../../image/store.ts";
import { findImage } from "./resolve.ts";
import { inspectView } from "./view.ts";

export interface InspectResult {
  found: Record<string, unknown>[];
  /** references that named no image, in the order given */
  missing: string[];
}

export async function inspectImages(store: ImageStore, refs: string[]): Promise<InspectResult> {
  const out: InspectResult = { found: [], missing: [] };
  for (const ref of refs) {
    let img = null;
    try {
      img = await findImage(store, ref);
    } catch {
      // an unparsable name is simply not an image here, as with Docker's inspect
    }
    if (img) out.found.push(inspectView(store, img));
    else out.missing.push(ref);
  }
  return out;
}
