/**
 * Storing the committed layer:
 *  - "none" (default), Docker's model: its graph driver keeps a committed layer uncompressed and gzips
 *    it when pushing; so does bunker (push makes the gzip copy, image/compress.ts). The blob is the plain
 *    tar (OCI media type ...layer.v1.tar), so its digest is its diff ID and one sha256 gives both. The
 *    tar is packed into the content store's own blocks and hashed and written on a worker beside the
 *    packing (content/threaded.ts).
 *  - "gzip" (on request): gzip on two workers (libdeflate level 1: 139 MB/s per core at ratio 0.64 on a
 *    200 MB mixed layer), pushable as it is by every Docker since 20.10; on 2 cores it costs ~1 s per
 *    200 MB, which is why it is not the default.
 *  - "zstd" (on request): Bun's native streaming zstd; smaller and faster than gzip, but only Docker 23+
 *    (containerd) pulls it.
 *  - snapshot "lazy" (default): the blob alone; the snapshot is unpacked on first use (unpack.ts).
 *    "eager": unpacked now (from the stored plain blob, or beside the compression in one pass). Creating
 *    the ~7000 files of a big change is most of that cost either way, ~0.6 ms each on this ext4.
 */
import { ParallelGzip } from "../../image/gzip.ts";
import { storeLayer, type StoredLayer } from "../../image/layer.ts";
import { ociLayerType } from "../../image/manifest.ts";
import type { ImageStore } from "../../image/store.ts";
import type { Sys } from "../../sys/sys.ts";
import type { MtimePolicy } from "../../image/tar/fsutil.ts";
import type { UpperItem } from "../diff.ts";
import { layerStream, packLayer, type PackOptions } from "./layer.ts";
import { unpackLayer } from "../../image/unpack.ts";
import { nextChainId } from "../../image/snapshots.ts";

export type CommitCompression = "gzip" | "zstd" | "none";

export interface StoreCommitOptions {
  parent?: string;
  /** whole seconds; mtimes above it are clamped (see index.ts) */
  clamp: number;
  compression: CommitCompression;
  /** "lazy": store the blob only; the snapshot is unpacked on first use (unpack.ts) */
  snapshot: "eager" | "lazy";
  sys: Sys;
  /** called once every file has been read (the container may change again from then on); a failure is ignored here: the caller retries */
  read?: () => Promise<void>;
}

export async function storeCommitLayer(store: ImageStore, items: UpperItem[], o: StoreCommitOptions): Promise<StoredLayer> {
  const mtime: MtimePolicy = { clamp: o.clamp };
  const pack: PackOptions = { mtime, sys: o.sys };
  // "import-" refs are one-shot: repair removes them as soon as their writer is gone (a kill -9)
  const ref = `import-commit-${crypto.randomUUID()}`;
  // one pass: compress, hash and unpack side by side (storeLayer gzips a plain tar itself, and keeps a
  // zstd stream as it is while unpacking it)
  if (o.snapshot === "eager" && o.compression === "gzip") return storeLayer(store, layerStream(items, pack), { parent: o.parent, ref });
  if (o.snapshot === "eager" && o.compression === "zstd") return storeLayer(store, layerStream(items, pack).pipeThrough(zstd()), { parent: o.parent, ref });
  const layer = o.compression === "none" ? await storePlainBlob(store, items, pack, ref, o) : await storeCompressedBlob(store, layerStream(items, pack), ref, o);
  // unpacked from the stored blob: the snapshot is what the blob says, whatever the container did
  if (o.snapshot === "eager") layer.size = await unpackLayer(store, layer.desc, layer.diffId, o.parent, layer.chainId);
  return layer;
}

/** the plain tar as the blob: the content store's digest of it is the diff ID (one hash, by the writer) */
async function storePlainBlob(store: ImageStore, items: UpperItem[], pack: PackOptions, ref: string, o: StoreCommitOptions): Promise<StoredLayer> {
  const writer = await store.content.blockWriter(ref);
  try {
    const size = await packLayer(items, pack, writer);
    await o.read?.().catch(() => {});
    const digest = await writer.commit(size);
    return { desc: { mediaType: ociLayerType("none"), digest, size }, diffId: digest, chainId: nextChainId(o.parent, digest), size: 0 };
  } catch (err) {
    await writer.abort().catch(() => {});
    throw err;
  }
}

/** the layer blob compressed as asked, hashed uncompressed for its diff ID on the way */
async function storeCompressedBlob(store: ImageStore, tar: ReadableStream<Uint8Array>, ref: string, o: StoreCommitOptions): Promise<StoredLayer> {
  const writer = await store.content.writer(ref);
  const gz = o.compression === "gzip" ? new ParallelGzip((c) => writer.write(c)) : null;
  const diff = new Bun.CryptoHasher("sha256");
  const hashed = tar.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(c, ctl) {
      diff.update(c);
      ctl.enqueue(c);
    },
  }));
  try {
    const reader = (o.compression === "zstd" ? hashed.pipeThrough(zstd()) : hashed).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (gz) await gz.push(r.value);
      else await writer.write(r.value);
    }
    await gz?.finish();
    const digest = await writer.commit();
    const diffId = `sha256:${diff.digest("hex")}`;
    const blobSize = (await store.content.info(digest))?.size ?? writer.offset;
    return { desc: { mediaType: ociLayerType(o.compression), digest, size: blobSize }, diffId, chainId: nextChainId(o.parent, diffId), size: 0 };
  } catch (err) {
    gz?.stop();
    await writer.abort().catch(() => {});
    throw err;
  }
}

/** Bun's native streaming zstd (level 3), on its own thread pool */
function zstd(): TransformStream<Uint8Array, Uint8Array> {
  return new CompressionStream("zstd" as ConstructorParameters<typeof CompressionStream>[0]) as unknown as TransformStream<Uint8Array, Uint8Array>;
}
