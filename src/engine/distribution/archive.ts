/**
 * save/load at the engine level: names are resolved against the image index, loaded images are unpacked
 * into snapshots (diff IDs checked, like a pull from a registry that is a file) and named.
 */
import { readArchive } from "../../image/archive/load.ts";
import { writeArchive, type SaveItem } from "../../image/archive/save.ts";
import type { Descriptor } from "../../image/content/types.ts";
import type { ImageStore } from "../../image/store.ts";
import { findImage, noSuchImage } from "../images/resolve.ts";
import { formatReference, localName, parseReference, withDefaultTag } from "../../image/reference.ts";
import type { Fetcher } from "../../registry/resolver.ts";
import { chainIds, parseConfig, parseManifest } from "./documents.ts";
import { storeLayers } from "./layers.ts";
import type { ImageStoreParts } from "./types.ts";

/**
 * The archive as a byte stream; unknown names fail before the first byte is written. A name saves that
 * name (RepoTags); an image ID saves the image without names, as `docker save <id>` does.
 */
export async function saveImages(args: string[], store: ImageStore): Promise<AsyncGenerator<Uint8Array>> {
  const byDigest = new Map<string, SaveItem>();
  for (const a of args) {
    const img = await findImage(store, a);
    if (!img) throw noSuchImage(a);
    let name: string | undefined;
    if (!/^(?:sha256:)?[a-f0-9]{1,64}$/.test(a)) {
      const ref = withDefaultTag(parseReference(a));
      if (ref.tag && img.records.some((r) => r.name === localName(ref))) name = localName(ref);
    }
    const target = name ? img.records.find((r) => r.name === name)!.target : img.manifestDesc;
    const item = byDigest.get(target.digest) ?? { manifest: target, names: [], repoTags: [] };
    if (name && !item.names.includes(name)) {
      item.names.push(name);
      item.repoTags.push(formatReference(parseReference(name), true));
    }
    byDigest.set(target.digest, item);
  }
  return writeArchive([...byDigest.values()], store.content);
}

export interface LoadResult {
  names: string[];
  /** config digests of images loaded without a name */
  ids: string[];
}

const noFetch: Fetcher = {
  fetch: () => Promise.reject(new Error("load: layer blob missing from the archive")),
  fetchBytes: () => Promise.reject(new Error("load: blob missing from the archive")),
};

export async function loadImages(source: ReadableStream<Uint8Array>, parts: ImageStoreParts): Promise<LoadResult> {
  const images = await readArchive(source, parts.content);
  const out: LoadResult = { names: [], ids: [] };
  for (const img of images) {
    const manifest = parseManifest(await parts.content.readBytes(img.manifest.digest));
    const config = parseConfig(await parts.content.readBytes(manifest.config.digest), manifest.layers.length);
    const chains = chainIds(config.rootfs.diff_ids);
    const jobs = manifest.layers.map((desc, i) => ({ desc, diffId: config.rootfs.diff_ids[i]!, chainId: chains[i]! }));
    await storeLayers(jobs, parts, noFetch, () => {});
    const target: Descriptor = { mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size };
    if (img.names.length === 0) out.ids.push(manifest.config.digest);
    for (const n of img.names) {
      const ref = withDefaultTag(parseReference(n));
      await parts.names.set(localName(ref), target);
      out.names.push(formatReference(ref, true));
    }
  }
  return out;
}
