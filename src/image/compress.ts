/**
 * A gzip copy of a stored plain-tar layer blob, for push (Docker's graph driver keeps committed layers
 * uncompressed and compresses them when pushing; so does bunker for a `commit` (plain tar by default) and
 * for layers loaded from a legacy `docker save`). The copy is made on the project's parallel gzip and
 * is deterministic: libdeflate level 1, 1 MiB members, no name, mtime 0, so the same layer always gives
 * the same gzip digest, whoever compresses it and however often. The settings are pinned here rather
 * than taken from ParallelGzip's defaults, since changing them changes every pushed digest.
 *
 * The tar is hashed on the way through and must match its own digest before the gzip blob is committed:
 * a local blob that rotted is refused rather than published under a fresh, valid-looking digest.
 */
import { BunkerError } from "../errors.ts";
import { ParallelGzip } from "./gzip.ts";
import type { ContentStore } from "./content/types.ts";

export const PUSH_GZIP = { level: 1, blockSize: 1 << 20 } as const;

export class CorruptBlobError extends BunkerError {
  constructor(
    readonly digest: string,
    readonly actual: string,
  ) {
    super(`local layer blob ${digest} is corrupted (its content hashes to ${actual}); pull or commit the image again`);
    this.name = "CorruptBlobError";
  }
}

export interface GzipBlobOptions {
  /** stops between chunks; the partial ingest is dropped */
  signal?: AbortSignal;
  /** bytes of the tar read so far */
  onProgress?: (read: number) => void;
}

/** Compresses blob `digest` (a plain tar) into a new gzip blob in the same store; returns its digest and size. */
export async function gzipBlob(content: ContentStore, digest: string, opts: GzipBlobOptions = {}): Promise<{ digest: string; size: number }> {
  // one-shot ref ("import-"): the repair pass drops it as soon as its writer is gone
  const writer = await content.writer(`import-gzip-${crypto.randomUUID()}`);
  const gz = new ParallelGzip((c) => writer.write(c), PUSH_GZIP);
  const tar = new Bun.CryptoHasher("sha256");
  let read = 0;
  try {
    for await (const chunk of content.readStream(digest)) {
      opts.signal?.throwIfAborted();
      tar.update(chunk);
      await gz.push(chunk);
      read += chunk.length;
      opts.onProgress?.(read);
    }
    await gz.finish();
    const actual = `sha256:${tar.digest("hex")}`;
    if (actual !== digest) throw new CorruptBlobError(digest, actual);
    const gzDigest = await writer.commit();
    const size = (await content.info(gzDigest))?.size ?? writer.offset;
    return { digest: gzDigest, size };
  } catch (err) {
    gz.stop();
    await writer.abort().catch(() => {});
    throw err;
  }
}
