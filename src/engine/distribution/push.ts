/**
 * `push`: blobs first (HEAD-checked, mounted from another repository of the same registry when we know
 * one, else uploaded from the content store through a Pusher writer), config, then the manifest with its
 * exact media type. The manifest goes last so the registry never references a blob it lacks. Plain-tar
 * layers go up as gzip, compressed once and remembered locally (gzip-layers.ts).
 */
import type { Descriptor } from "../../image/content/types.ts";
import { BunkerError } from "../../errors.ts";
import { DigestError } from "../../registry/errors.ts";
import { docKind } from "../../registry/mediatypes.ts";
import type { Pusher } from "../../registry/pusher.ts";
import { familiarName, fullName, localName, type Reference } from "../../image/reference.ts";
import { Resolver, sha256 } from "../../registry/resolver.ts";
import { parseManifest } from "./documents.ts";
import { GzipLayers } from "./gzip-layers.ts";
import { addBlobSource, blobSources } from "./sources.ts";
import { shortDigest, type ImageStoreParts, type ProgressFn } from "./types.ts";

export const MAX_CONCURRENT_UPLOADS = Number(process.env.BUNKER_MAX_CONCURRENT_UPLOADS) || 5;

export interface PushResult {
  tag: string;
  digest: string;
  size: number;
}

export async function pushImage(ref: Reference, parts: ImageStoreParts, opts: { progress?: ProgressFn; resolver?: Resolver } = {}): Promise<PushResult> {
  const progress = opts.progress ?? (() => {});
  const target = await parts.names.get(localName(ref));
  if (!target) throw new BunkerError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
  const bytes = await parts.content.readBytes(target.digest);
  if (sha256(bytes) !== target.digest) throw new DigestError(target.digest, `local manifest ${target.digest} is corrupted`);
  if (docKind(target.mediaType) !== "manifest") throw new DigestError(target.digest, `pushing an index is not supported`);
  const manifest = parseManifest(bytes);
  const pusher = (opts.resolver ?? new Resolver(ref)).pusher();
  const here = fullName(ref);
  // a digest reference pins the manifest's bytes, so its layers go as they are
  const gz = parts.conversions && !ref.digest && GzipLayers.needed(manifest) ? new GzipLayers(manifest, parts.conversions, parts.content) : null;
  const ready = gz?.layers ?? manifest.layers.map((l) => Promise.resolve(l));

  // bottom layer last in the list, as Docker prints it; a converted layer keeps its tar's short digest
  const order = manifest.layers.map((_, i) => i).reverse();
  for (const i of order) progress({ id: shortDigest(manifest.layers[i]!.digest), status: "Preparing" });
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const i = order[next++]!;
      await pushBlob(await ready[i]!, parts, pusher, ref, progress, shortDigest(manifest.layers[i]!.digest));
    }
  };
  let doc = { desc: target as Descriptor, bytes };
  try {
    // compression runs bottom-up while uploads take whatever is ready
    await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_UPLOADS, order.length) }, worker));
  } catch (err) {
    gz?.stop();
    await gz?.record(target, bytes).catch(() => {});
    throw err;
  }
  if (gz) doc = await gz.record(target, bytes);
  await pushBlob(manifest.config, parts, pusher, ref, () => {});

  const tag = ref.tag ?? ref.digest!;
  await pusher.putManifest({ ...doc.desc, size: doc.bytes.byteLength }, doc.bytes, tag);
  for (const l of await Promise.all(ready)) addBlobSource(l.digest, here);
  return { tag, digest: doc.desc.digest, size: doc.bytes.byteLength };
}

async function pushBlob(desc: Descriptor, parts: ImageStoreParts, pusher: Pusher, ref: Reference, progress: ProgressFn, id = shortDigest(desc.digest)): Promise<void> {
  const info = await parts.content.info(desc.digest);
  if (!info) throw new BunkerError(`blob ${desc.digest} is missing from the local store; pull the image again`);
  // a mount only works inside one registry: pick a known source repository on the same host
  const from = blobSources(desc.digest)
    .filter((s) => s.startsWith(`${ref.domain}/`) && s !== fullName(ref))
    .map((s) => s.slice(ref.domain.length + 1))[0];
  const r = await pusher.pushFile(desc, Bun.file(parts.content.blobPath(desc.digest)), from, (sent) => progress({ id, status: "Pushing", current: sent, total: desc.size }));
  if (r === "exists" || r === "mounted") {
    progress(r === "mounted" ? { id, status: "Mounted from", detail: from } : { id, status: "Layer already exists" });
    return;
  }
  progress({ id, status: "Pushed" });
}
