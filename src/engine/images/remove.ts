/**
 * `rmi`: Docker's ImageDelete rules. A name removes that name, and the image too once nothing else names
 * it; an ID removes the image with its names when they all belong to one repository, or with -f. Images
 * used by containers are protected: by a stopped one unless -f, by a running one always. Deleting drops
 * the manifest and config blobs, and the layers (blob and snapshot) no other image shares.
 */
import { ConflictError } from "../../errors.ts";
import { isDangling } from "../../image/index.ts";
import { familiar, formatReference, parseReference, withDefaultTag, type Reference } from "../../image/reference.ts";
import type { Image, ImageStore } from "../../image/store.ts";
import { imageInUse } from "./in-use.ts";
import { findImage, isIdReference, noSuchImage } from "./resolve.ts";

/** one line of rmi's output: "Untagged: x" or "Deleted: sha256:..." */
export type DeleteItem = { Untagged: string } | { Deleted: string };

export interface RemoveOptions {
  force?: boolean;
  /** --no-prune: accepted; bunker images have no untagged parents to keep */
  noPrune?: boolean;
}

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

export async function removeImage(store: ImageStore, refOrId: string, opts: RemoveOptions = {}): Promise<DeleteItem[]> {
  return store.exclusive(async () => {
    const img = await findImage(store, refOrId);
    if (!img) throw noSuchImage(refOrId);
    const items: DeleteItem[] = [];
    const force = opts.force ?? false;
    const named = img.records.filter((r) => !isDangling(r.name));
    const user = await imageInUse(img.id);

    if (!isIdReference(img, refOrId)) {
      const ref = withDefaultTag(parseReference(refOrId));
      const name = formatReference(ref);
      if (!force && isSingleRepository(named.map((r) => parseReference(r.name))) && user) {
        throw new ConflictError(
          `Error response from daemon: conflict: unable to remove repository reference "${refOrId}" (must force) - container ${short(user.containerId)} is using its referenced image ${short(img.id)}`,
        );
      }
      await store.index.withLock(() => store.index.delete(name));
      items.push({ Untagged: familiar(ref) });
      let remaining = named.filter((r) => r.name !== name).map((r) => parseReference(r.name));
      // the last tag of a repository takes that repository's digest names with it
      if (ref.digest === undefined && !remaining.some((r) => r.digest === undefined && sameRepo(r, ref))) {
        for (const r of remaining.filter((x) => x.digest !== undefined && sameRepo(x, ref))) {
          await store.index.withLock(() => store.index.delete(formatReference(r)));
          items.push({ Untagged: familiar(r) });
        }
        remaining = remaining.filter((x) => !(x.digest !== undefined && sameRepo(x, ref)));
      }
      if (remaining.length) return items;
      // nothing names it any more: delete it, unless a container still uses it (then it stays, dangling)
      if (user) {
        await store.addDangling(img.manifestDesc);
        return items;
      }
    } else {
      const refs = named.map((r) => parseReference(r.name));
      if (user?.running) {
        throw new ConflictError(`Error response from daemon: conflict: unable to delete ${short(img.id)} (cannot be forced) - image is being used by running container ${short(user.containerId)}`);
      }
      if (!force && user) {
        throw new ConflictError(`Error response from daemon: conflict: unable to delete ${short(img.id)} (must be forced) - image is being used by stopped container ${short(user.containerId)}`);
      }
      if (!force && refs.length > 0 && !isSingleRepository(refs)) {
        throw new ConflictError(`Error response from daemon: conflict: unable to delete ${short(img.id)} (must be forced) - image is referenced in multiple repositories`);
      }
      for (const r of refs.sort((a, b) => familiar(a).localeCompare(familiar(b)))) {
        await store.index.withLock(() => store.index.delete(formatReference(r)));
        items.push({ Untagged: familiar(r) });
      }
    }
    items.push(...(await deleteImage(store, img)));
    return items;
  });
}

/**
 * Drops an image that no name references any more: its records, its own blobs, and layers no other image
 * needs. Returns "Deleted:" items: the image ID, then the chain IDs of removed layers, top first (Docker's
 * order). Caller holds `store.exclusive`.
 */
export async function deleteImage(store: ImageStore, img: Image): Promise<DeleteItem[]> {
  await store.index.withLock(() => {
    for (const r of store.index.list()) if (r.target.digest === img.manifestDesc.digest || img.records.some((x) => x.name === r.name)) store.index.delete(r.name);
  });
  const others = (await store.images()).filter((i) => i.id !== img.id);
  const keepBlobs = new Set(others.flatMap((o) => store.blobsOf(o)));
  const keepChains = new Set(others.flatMap((o) => o.chainIds));
  for (const d of new Set(store.blobsOf(img))) {
    if (!keepBlobs.has(d)) await store.content.delete(d).catch(() => {});
  }
  const removed = await store.removeSnapshots([...img.chainIds].reverse().filter((c) => !keepChains.has(c)));
  return [{ Deleted: img.id }, ...removed.map((c) => ({ Deleted: c }))];
}

function sameRepo(a: Reference, b: Reference): boolean {
  return a.domain === b.domain && a.path === b.path;
}

/** Docker's isSingleReference: at most one tag, and every digest name in that tag's repository */
function isSingleRepository(refs: Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const tagged = refs.filter((r) => r.digest === undefined);
  if (tagged.length > 1) return false;
  const anchor = tagged[0] ?? refs[0]!;
  return refs.every((r) => sameRepo(r, anchor));
}
