/**
 * Snapshots on demand: unpacks, from the stored blobs, every layer of an image whose snapshot is
 * missing (bottom-up, each verified against its diff ID). Creating the ~7000 files of a 200 MB layer is
 * what dominates a commit here (`cp -a` of the same tree: 5.3-5.7 s on this machine under load, the
 * whole blob side 0.6 s plain / 1.6 s gzip), and Docker pays it too; a commit that only stores the
 * blob (commit's snapshot: "lazy") leaves it to the first `run`, which calls this before resolving the
 * lower dirs (engine/images/run-image.ts).
 */
import { BunkerError } from "../errors.ts";
import type { Descriptor } from "./content/types.ts";
import { layerCompression, type Manifest } from "./manifest.ts";
import type { ImageConfig } from "./config.ts";
import { chainIds } from "./snapshots.ts";
import type { ImageStore } from "./store.ts";
import { applyLayer } from "./tar/apply.ts";
import { linuxSys } from "../sys/index.ts";

/** makes sure every snapshot of the image exists; returns how many were unpacked */
export async function ensureSnapshots(store: ImageStore, manifest: Manifest, config: ImageConfig): Promise<number> {
  const chains = chainIds(config.rootfs.diff_ids);
  let made = 0;
  for (let i = 0; i < chains.length; i++) {
    if (store.snapshots.stat(chains[i]!)) continue;
    const desc = manifest.layers[i];
    if (!desc) throw new BunkerError(`image has no layer ${i} for snapshot ${chains[i]}`);
    await unpackLayer(store, desc, config.rootfs.diff_ids[i]!, i === 0 ? undefined : chains[i - 1], chains[i]!);
    made++;
  }
  return made;
}

/** one stored layer blob unpacked into the snapshot `chainId` on `parent`, checked against `diffId` */
export async function unpackLayer(store: ImageStore, desc: Descriptor, diffId: string, parent: string | undefined, chainId: string): Promise<number> {
  const compression = layerCompression(desc.mediaType);
  let stream: ReadableStream<Uint8Array> = Bun.file(store.content.blobPath(desc.digest)).stream();
  if (compression !== "none") stream = stream.pipeThrough(new DecompressionStream(compression) as unknown as TransformStream<Uint8Array, Uint8Array>);
  const hasher = new Bun.CryptoHasher("sha256");
  const reader = stream.getReader();
  // the applier stops at the end-of-archive marker; the padding after it still counts for the diff ID
  const feed: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await reader.read();
        if (!r.done) hasher.update(r.value);
        return r as IteratorResult<Uint8Array>;
      },
      return: async () => ({ done: true, value: undefined }),
    }),
  };
  const prepared = await store.snapshots.prepare(parent);
  try {
    const { size } = await applyLayer(feed, prepared.dir, { mode: "overlay", sys: linuxSys() });
    for (let r = await reader.read(); !r.done; r = await reader.read()) hasher.update(r.value);
    const got = `sha256:${hasher.digest("hex")}`;
    if (got !== diffId) throw new BunkerError(`layer ${desc.digest}: content is ${got}, the image says ${diffId}`);
    await prepared.commit(chainId, size);
    return size;
  } catch (err) {
    prepared.abort();
    await reader.cancel().catch(() => {});
    throw err;
  }
}
