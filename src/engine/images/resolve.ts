/**
 * Finding an image the way Docker's daemon does (GetImage): a full ID or "sha256:<id>"; else a name
 * (":latest" added); else a unique ID prefix. Misses read "No such image: nope:latest".
 */
import { paths } from "../../config.ts";
import { NotFoundError } from "../../errors.ts";
import { familiar, FULL_HEX_ID, parseReference, withDefaultTag, formatReference } from "../../image/reference.ts";
import { ImageStore, type Image } from "../../image/store.ts";

let opened: { root: string; store: ImageStore } | null = null;

/** the store under the configured root, opened (and repaired) once per process */
export async function openImageStore(): Promise<ImageStore> {
  const root = paths().root;
  if (opened?.root !== root) opened = { root, store: await ImageStore.open(root) };
  return opened.store;
}

/** Docker's wording for a miss: the reference normalized and made familiar ("nope" -> "nope:latest") */
export function noSuchImage(ref: string): NotFoundError {
  let shown = ref;
  if (FULL_HEX_ID.test(ref)) shown = `sha256:${ref}`;
  else if (!/^sha256:[a-f0-9]{64}$/.test(ref)) {
    try {
      shown = familiar(withDefaultTag(parseReference(ref)));
    } catch {
      // shown as typed
    }
  }
  return new NotFoundError("image", shown);
}

/** the image `refOrId` names, or null; throws ReferenceError for names Docker would reject */
export async function findImage(store: ImageStore, refOrId: string): Promise<Image | null> {
  const images = await store.images();
  const full = /^(?:sha256:)?([a-f0-9]{64})$/.exec(refOrId);
  if (full) return images.find((i) => i.id === `sha256:${full[1]}`) ?? null;
  const name = formatReference(withDefaultTag(parseReference(refOrId)));
  const byName = images.find((i) => i.records.some((r) => r.name === name));
  if (byName) return byName;
  const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(refOrId)?.[1];
  if (prefix === undefined) return null;
  const hits = images.filter((i) => i.id.startsWith(`sha256:${prefix}`));
  return hits.length === 1 ? hits[0]! : null;
}

export async function resolveImage(store: ImageStore, refOrId: string): Promise<Image> {
  const img = await findImage(store, refOrId);
  if (!img) throw noSuchImage(refOrId);
  return img;
}

/** true when the user named the image by (a prefix of) its ID rather than by a name */
export function isIdReference(img: Image, refOrId: string): boolean {
  const hex = /^(?:sha256:)?([a-f0-9]{1,64})$/.exec(refOrId)?.[1];
  return hex !== undefined && img.id.startsWith(`sha256:${hex}`) && !img.records.some((r) => r.name === safeName(refOrId));
}

function safeName(s: string): string | undefined {
  try {
    return formatReference(withDefaultTag(parseReference(s)));
  } catch {
    return undefined;
  }
}
