/**
 * One layer of a pull: bytes from the registry are split between the content store (which checks size
 * and digest on commit) and the unpacker (native decompression, then the WASM tar reader), so a layer is
 * on disk when its last byte arrives. The diff ID is hashed over the uncompressed stream and compared with
 * the config's. Nothing is committed here except the blob; the snapshot is returned prepared and the
 * caller commits snapshots in chain order.
 */
import { copyToStore } from "../../image/content/copy.ts";
import { IngestLockedError } from "../../image/content/errors.ts";
import type { Descriptor, Writer } from "../../image/content/types.ts";
import { DigestError } from "../../registry/errors.ts";
import { layerCompression, type Compression } from "../../registry/mediatypes.ts";
import type { Fetcher } from "../../registry/resolver.ts";
import { HashStream, decompress, drain, splitStream } from "./streams.ts";
import { shortDigest, type ImageStoreParts, type PreparedLayer, type ProgressFn } from "./types.ts";

export interface LayerJob {
  desc: Descriptor;
  diffId: string;
  chainId: string;
}

export interface LayerResult {
  /** null when the snapshot already existed */
  prepared: PreparedLayer | null;
  /** true when this pull stored the blob (rolled back if the pull fails) */
  newBlob: boolean;
}

export async function pullLayer(job: LayerJob, parts: ImageStoreParts, fetcher: Fetcher, progress: ProgressFn, signal: AbortSignal): Promise<LayerResult> {
  const { desc } = job;
  const id = shortDigest(desc.digest);
  const haveSnap = await parts.snapshots.exists(job.chainId);
  let haveBlob = await hasBlob(parts, desc);
  if (haveBlob && haveSnap) {
    progress({ id, status: "Already exists" });
    return { prepared: null, newBlob: false };
  }
  // the ingest is ours before a byte is fetched; another pull of the same blob makes us wait, after
  // which the blob is usually there and is unpacked from the store instead
  let writer: Writer | undefined;
  if (!haveBlob) {
    writer = await lockIngest(parts, `pull-${desc.digest}`, signal);
    if (await hasBlob(parts, desc)) {
      await writer.abort();
      writer = undefined;
      haveBlob = true;
      if (haveSnap) {
        progress({ id, status: "Already exists" });
        return { prepared: null, newBlob: false };
      }
    }
  }
  const compression = layerCompression(desc.mediaType);
  let received = 0;
  const counted = (s: ReadableStream<Uint8Array>) =>
    s.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctrl) {
          received += chunk.byteLength;
          progress({ id, status: "Downloading", current: received, total: desc.size });
          ctrl.enqueue(chunk);
        },
      }),
    );
  const source = abortable(haveBlob ? parts.content.readStream(desc.digest) : counted(await fetcher.fetch(desc)), signal);

  if (haveSnap) {
    // the unpacked layer is here but its blob is not (e.g. removed): fetch the blob only
    await storeBlob(parts, desc, writer!, source);
    progress({ id, status: "Pull complete" });
    return { prepared: null, newBlob: true };
  }

  let prepared: PreparedLayer;
  try {
    prepared = await parts.snapshots.prepare(job.chainId);
  } catch (err) {
    await source.cancel().catch(() => {});
    await writer?.abort().catch(() => {});
    throw err;
  }
  const split = haveBlob ? { main: null, side: source, releaseSide: () => {} } : splitStream(source);
  const storeP = split.main ? storeBlob(parts, desc, writer!, split.main) : Promise.resolve();
  const unpack = parts.unpack ?? ((s, dir, c) => unpackInThread(parts, s, dir, c));
  // the unpack side must not hold the download back once it failed
  const unpackP = unpack(split.side, prepared.dir, compression).finally(() => split.releaseSide());
  const [store, unpacked] = await Promise.allSettled([storeP, unpackP]);
  try {
    // the blob's own verdict first: a flipped byte is a digest error, not a gzip error
    if (store.status === "rejected") throw store.reason;
    if (unpacked.status === "rejected") throw unpacked.reason;
    if (unpacked.value.diffId !== job.diffId) {
      throw new DigestError(desc.digest, `failed to register layer: layer ${desc.digest} has diff ID ${unpacked.value.diffId}, the image config says ${job.diffId}`);
    }
  } catch (err) {
    await prepared.abort().catch(() => {});
    if (!haveBlob && store.status === "fulfilled") await parts.content.delete(desc.digest).catch(() => {});
    throw err;
  }
  progress({ id, status: "Verifying Checksum" });
  progress({ id, status: "Download complete" });
  return { prepared, newBlob: !haveBlob };
}

/** decompress, hash and apply on this thread (tests, and binaries without the worker) */
export async function unpackInThread(parts: ImageStoreParts, stream: ReadableStream<Uint8Array>, dir: string, c: Compression): Promise<{ diffId: string; size: number }> {
  const split = splitStream(decompress(stream, c));
  const hash = new HashStream();
  const hashP = drain(split.main.pipeThrough(hash));
  const applyP = parts.applyLayer(split.side, dir).finally(() => split.releaseSide());
  const [, applied] = await Promise.all([hashP, applyP]);
  return { diffId: hash.digest(), size: (applied as { size?: number } | undefined)?.size ?? 0 };
}

async function hasBlob(parts: ImageStoreParts, desc: Descriptor): Promise<boolean> {
  const info = await parts.content.info(desc.digest);
  return info !== null && info.size === desc.size;
}

const LOCK_POLL_MS = 100;

/** a fresh writer for `ref`, waiting while another process holds it (containerd's OpenWriter backoff) */
async function lockIngest(parts: ImageStoreParts, ref: string, signal: AbortSignal): Promise<Writer> {
  for (;;) {
    try {
      const w = await parts.content.writer(ref);
      if (w.offset === 0) return w;
      // a leftover from a crashed run: the unpacker needs every byte, so start over
      await w.abort();
    } catch (err) {
      if (!(err instanceof IngestLockedError)) throw err;
      if (signal.aborted) throw signal.reason;
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
}

/** copies through the writer (commit checks size and digest); any failure drops the ingest */
async function storeBlob(parts: ImageStoreParts, desc: Descriptor, writer: Writer, stream: ReadableStream<Uint8Array>): Promise<void> {
  try {
    await copyToStore(writer, stream, { size: desc.size, digest: desc.digest });
  } catch (err) {
    await writer.abort().catch(() => {});
    await parts.content.abortIngest(`pull-${desc.digest}`).catch(() => {});
    await stream.cancel().catch(() => {});
    throw err;
  }
}

/** a stream that errors (and cancels its source) when the pull is aborted because a sibling failed */
function abortable(src: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = src.getReader();
  return new ReadableStream<Uint8Array>(
    {
      start(ctrl) {
        signal.addEventListener("abort", () => {
          reader.cancel(signal.reason).catch(() => {});
          try {
            ctrl.error(signal.reason);
          } catch {
            // already closed
          }
        });
      },
      async pull(ctrl) {
        const r = await reader.read();
        if (r.done) ctrl.close();
        else ctrl.enqueue(r.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
