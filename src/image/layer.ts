/**
 * Stores one layer from a tar stream in a single pass: the bytes are kept as a blob (compressed as given,
 * or gzip-compressed on a second core), hashed uncompressed for the diff ID, and unpacked into a new
 * snapshot at the same time. Nothing becomes visible until the blob commit has verified its digest and
 * the snapshot commit has renamed the unpacked tree into place.
 */
import { BunkerError } from "../errors.ts";
import { linuxSys } from "../sys/index.ts";
import { applyLayer } from "./tar/apply.ts";
import type { Descriptor } from "./content/types.ts";
import { ParallelGzip } from "./gzip.ts";
import { ociLayerType, type Compression } from "./manifest.ts";
import type { ImageStore } from "./store.ts";
import { nextChainId } from "./snapshots.ts";

export interface StoredLayer {
  /** the blob as the manifest lists it */
  desc: Descriptor;
  /** sha256 of the uncompressed tar */
  diffId: string;
  chainId: string;
  /** unpacked bytes (the snapshot's size) */
  size: number;
}

export interface StoreLayerOptions {
  /** chain ID of the layer below, for every layer but the first */
  parent?: string;
  /** ingest ref; "import-..." refs are removed by repair as soon as their writer is gone */
  ref?: string;
}

export class UnsupportedCompressionError extends BunkerError {
  constructor(format: string) {
    super(`unsupported compression format ${format}: import a tar, tar.gz or tar.zst`);
    this.name = "UnsupportedCompressionError";
  }
}

/** compression of a stream from its first bytes (magic numbers, as Docker's DetectCompression) */
export function detectCompression(head: Uint8Array): Compression | "bzip2" | "xz" {
  const is = (...m: number[]) => m.every((b, i) => head[i] === b);
  if (is(0x1f, 0x8b, 0x08)) return "gzip";
  if (is(0x28, 0xb5, 0x2f, 0xfd)) return "zstd";
  if (is(0x42, 0x5a, 0x68)) return "bzip2";
  if (is(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz";
  return "none";
}

/** a stream's first `n` bytes (fewer at EOF) and the whole stream again, nothing consumed */
export async function peek(stream: ReadableStream<Uint8Array>, n: number): Promise<[Uint8Array, ReadableStream<Uint8Array>]> {
  const reader = stream.getReader();
  const seen: Uint8Array[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await reader.read();
    if (r.done) {
      done = true;
      break;
    }
    seen.push(r.value);
    have += r.value.length;
  }
  const head = Buffer.concat(seen);
  const rest = new ReadableStream<Uint8Array>({
    start(c) {
      if (head.length) c.enqueue(head);
      if (done) c.close();
    },
    async pull(c) {
      const r = await reader.read();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return [head.subarray(0, n), rest];
}

export async function storeLayer(store: ImageStore, source: ReadableStream<Uint8Array>, opts: StoreLayerOptions = {}): Promise<StoredLayer> {
  const [head, stream] = await peek(source, 6);
  const compression = detectCompression(head);
  if (compression === "bzip2" || compression === "xz") {
    await stream.cancel();
    throw new UnsupportedCompressionError(compression);
  }
  const writer = await store.content.writer(opts.ref ?? `import-${crypto.randomUUID()}`);
  const prepared = await store.snapshots.prepare(opts.parent);
  const gzip = compression === "none" ? new ParallelGzip((c) => writer.write(c)) : null;
  const diff = new Bun.CryptoHasher("sha256");
  try {
    const tar =
      compression === "none"
        ? stream
        : stream.pipeThrough(tap((c) => writer.write(c))).pipeThrough(new DecompressionStream(compression) as unknown as TransformStream<Uint8Array, Uint8Array>);
    const { size } = await fanOut(tar, async (c) => {
      diff.update(c);
      await gzip?.push(c);
    }, (feed) => applyLayer(feed, prepared.dir, { mode: "overlay", sys: linuxSys() }));
    await gzip?.finish();
    const digest = await writer.commit();
    const diffId = `sha256:${diff.digest("hex")}`;
    const chainId = nextChainId(opts.parent, diffId);
    await prepared.commit(chainId, size);
    const blobSize = (await store.content.info(digest))?.size ?? writer.offset;
    return { desc: { mediaType: ociLayerType(gzip ? "gzip" : compression), digest, size: blobSize }, diffId, chainId, size };
  } catch (err) {
    gzip?.stop();
    await writer.abort().catch(() => {});
    prepared.abort();
    throw err;
  }
}

/** a pass-through stream that lets `fn` see (and wait on) every chunk */
function tap(fn: (c: Uint8Array) => Promise<void> | void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    async transform(chunk, ctl) {
      await fn(chunk);
      ctl.enqueue(chunk);
    },
  });
}

/**
 * Reads `source` to its end, giving each chunk to `side` and to a consumer stream. The consumer (the tar
 * applier) may stop early at the end-of-archive marker; the rest is still read, because the diff ID
 * covers every byte. If the consumer fails, reading stops and its error wins.
 */
async function fanOut<T>(
  source: ReadableStream<Uint8Array>,
  side: (c: Uint8Array) => Promise<void>,
  consume: (feed: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>(undefined, { highWaterMark: 4 }, { highWaterMark: 4 });
  const feed = pipe.writable.getWriter();
  let feeding = true;
  let consumerError: unknown = null;
  const result = consume(pipe.readable).then(
    (v) => ((feeding = false), v),
    (err) => {
      feeding = false;
      consumerError = err;
      throw err;
    },
  );
  result.catch(() => {});
  const reader = source.getReader();
  try {
    for (;;) {
      if (consumerError) {
        await reader.cancel().catch(() => {});
        break;
      }
      const r = await reader.read();
      if (r.done) break;
      await side(r.value);
      if (feeding) {
        try {
          await feed.ready;
          feed.write(r.value).catch(() => (feeding = false));
        } catch {
          feeding = false;
        }
      }
    }
    if (feeding) await feed.close().catch(() => {});
  } catch (err) {
    await feed.abort(err).catch(() => {});
    await result.catch(() => {});
    throw err;
  }
  return result;
}
