/** `tag SOURCE TARGET`: one more name for an image (the target gets ":latest" when it has no tag). */
import { BunkerError } from "../../errors.ts";
import { formatReference, parseReference, withDefaultTag } from "../../image/reference.ts";
import type { ImageStore } from "../../image/store.ts";
import { noSuchImage, findImage } from "./resolve.ts";

/** parses TARGET the way the docker CLI does before it asks the daemon */
export function parseTagTarget(target: string): string {
  let ref;
  try {
    ref = parseReference(target);
  } catch (err) {
    throw new BunkerError(`Error parsing reference: "${target}" is not a valid repository/tag: ${(err as Error).message}`);
  }
  if (ref.digest) throw new BunkerError("Error response from daemon: refusing to create a tag with a digest reference");
  return formatReference(withDefaultTag(ref));
}

export async function tagImage(store: ImageStore, source: string, target: string): Promise<void> {
  const name = parseTagTarget(target);
  const img = await findImage(store, source);
  if (!img) throw noSuchImage(source);
  const { mediaType, digest, size } = img.manifestDesc;
  await store.setName(name, { mediaType, digest, size });
}
