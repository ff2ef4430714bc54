/**
 * `pull`: resolve the reference, walk index -> manifest -> config -> layers, fetch layers in parallel
 * (bounded, like Docker's max-concurrent-downloads) while unpacking them, commit snapshots in chain order,
 * and only then store the documents and write the name. A failure anywhere rolls back what this pull
 * added (ingests, blobs, snapshots), so the store looks as it did before.
 */
import { putBytes } from "../../image/content/copy.ts";
import type { Descriptor, Platform } from "../../image/content/types.ts";
import { BunkerError } from "../../errors.ts";
import { docKind } from "../../registry/mediatypes.ts";
import { hostPlatform } from "../../registry/platform.ts";
import { formatReference, fullName, localName, type Reference } from "../../image/reference.ts";
import { Resolver } from "../../registry/resolver.ts";
import { chainIds, parseConfig, parseIndex, parseManifest, pickPlatform } from "./documents.ts";
import { storeLayers } from "./layers.ts";
import { addBlobSource } from "./sources.ts";
import { REPO_DIGEST_ANNOTATION } from "../../image/store.ts";
import { shortDigest, type ImageStoreParts, type ProgressFn } from "./types.ts";

export interface PullOptions {
  platform?: Platform;
  progress?: ProgressFn;
  resolver?: Resolver;
  /** called once the reference resolved to a manifest (Docker says "Pulling from" only then, never for a missing one) */
  onResolved?: () => void;
}

export interface PullResult {
  /** digest of what the reference named (an index for multi-platform tags) */
  digest: string;
  manifest: Descriptor;
  /** image ID: the config digest */
  id: string;
  /** false when the image was already there */
  updated: boolean;
  name: string;
}

export async function pullImage(ref: Reference, parts: ImageStoreParts, opts: PullOptions = {}): Promise<PullResult> {
  const progress = opts.progress ?? (() => {});
  const resolver = opts.resolver ?? new Resolver(ref);
  const fetcher = resolver.fetcher();
  const root = await resolver.resolve();
  opts.onResolved?.();
  const docs: [Descriptor, Uint8Array][] = [[root.desc, root.bytes]];

  let manifestDesc = root.desc;
  let manifestBytes = root.bytes;
  if (docKind(root.desc.mediaType) === "index") {
    manifestDesc = pickPlatform(parseIndex(root.bytes), opts.platform ?? hostPlatform());
    if (docKind(manifestDesc.mediaType) !== "manifest") throw new BunkerError(`nested index ${manifestDesc.digest} is not supported`);
    manifestBytes = await fetcher.fetchBytes(manifestDesc);
    docs.push([manifestDesc, manifestBytes]);
  }
  const manifest = parseManifest(manifestBytes);
  const configBytes = await fetcher.fetchBytes(manifest.config);
  const config = parseConfig(configBytes, manifest.layers.length);
  docs.push([manifest.config, configBytes]);
  const chains = chainIds(config.rootfs.diff_ids);
  const name = localName(ref);

  const current = await parts.names.get(name);
  const allThere = async () => {
    for (let i = 0; i < chains.length; i++) {
      if (!(await parts.snapshots.exists(chains[i]!)) || !(await parts.content.info(manifest.layers[i]!.digest))) return false;
    }
    return true;
  };
  if (current?.digest === manifestDesc.digest && (await allThere())) {
    return { digest: root.desc.digest, manifest: manifestDesc, id: manifest.config.digest, updated: false, name };
  }

  const storedDocs: string[] = [];
  for (const l of manifest.layers) progress({ id: shortDigest(l.digest), status: "Pulling fs layer" });
  try {
    const jobs = manifest.layers.map((desc, i) => ({ desc, diffId: config.rootfs.diff_ids[i]!, chainId: chains[i]! }));
    await storeLayers(jobs, parts, fetcher, progress);
    // documents and the name last: until the name is written nothing points at what was added
    for (const [desc, bytes] of docs) {
      if (!(await parts.content.info(desc.digest))) {
        await putBytes(parts.content, bytes);
        storedDocs.push(desc.digest);
      }
    }
    await parts.names.set(name, { ...manifestDesc, annotations: { [REPO_DIGEST_ANNOTATION]: `${fullName(ref)}@${root.desc.digest}` } });
  } catch (err) {
    for (const d of storedDocs) await parts.content.delete(d).catch(() => {});
    throw wrapPullError(err, ref);
  }
  for (const l of manifest.layers) {
    try {
      addBlobSource(l.digest, fullName(ref));
    } catch {
      // a hint for push only
    }
  }
  return { digest: root.desc.digest, manifest: manifestDesc, id: manifest.config.digest, updated: true, name };
}

/** one clear line for the user: disk full, digest mismatch (naming the digest), or the error itself */
function wrapPullError(err: unknown, ref: Reference): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOSPC" || /no space left on device|ENOSPC/i.test(e?.message ?? "")) {
    return new BunkerError(`failed to pull ${formatReference(ref, true)}: no space left on device`, { cause: err });
  }
  if (e?.name === "DigestMismatchError") {
    const m = /expected (sha256:[a-f0-9]{64})/.exec(e.message);
    return new BunkerError(`filesystem layer verification failed for digest ${m?.[1] ?? "unknown"}`, { cause: err });
  }
  if (e?.name === "SizeMismatchError") return new BunkerError(`failed to pull ${formatReference(ref, true)}: ${e.message}`, { cause: err });
  return err;
}
