/**
 * `push`: blobs first (HEAD-checked, mounted from another repository of the same registry when we know
 * one, else uploaded from the content store through a Pusher writer), config, then the manifest with its
 * exact media type. The manifest goes last so the registry never references a blob it lacks.
 */
import type { Descriptor } from "../../image/content/types.ts";
import { BunkerError } from "../../errors.ts";
import { DigestError } from "../../registry/errors.ts";
import { docKind } from "../../registry/mediatypes.ts";
import type { Pusher } from "../../registry/pusher.ts";
import { familiarName, fullName, localName, type Reference } from "../../image/reference.ts";
import { Resolver, sha256 } from "../../registry/resolver.ts";
import { parseManifest } from "./documents.ts";
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

  const layers = [...manifest.layers].reverse();
  for (const l of layers) progress({ id: shortDigest(l.digest), status: "Preparing" });
  let next = 0;
  const worker = async () => {
    while (next < layers.length) {
      const l = layers[next++]!;
      await pushBlob(l, parts, pusher, ref, progress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_UPLOADS, layers.length) }, worker));
  await pushBlob(manifest.config, parts, pusher, ref, () => {});

  const tag = ref.tag ?? ref.digest!;
  await pusher.putManifest({ ...target, size: bytes.byteLength }, bytes, tag);
  for (const l of manifest.layers) addBlobSource(l.digest, here);
  return { tag, digest: target.digest, size: bytes.byteLength };
}

async function pushBlob(desc: Descriptor, parts: ImageStoreParts, pusher: Pusher, ref: Reference, progress: ProgressFn): Promise<void> {
  const id = shortDigest(desc.digest);
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
