/**
 * The one path by which outside bytes enter the content store (containerd's content.Copy): every
 * digest and size check happens in `writer.commit`, called only from here, so nothing from a file, a
 * pipe or a registry is trusted before it was hashed.
 */
import type { Writer } from "./types.ts";

export interface Expected {
  size?: number;
  digest?: string;
}

/** a stream, or a function opening one at a byte offset (so a resumed ingest fetches only the rest) */
export type Source = ReadableStream<Uint8Array> | ((offset: number) => ReadableStream<Uint8Array>);

/**
 * Copies `source` into `writer` and commits with the expected size and digest. A writer resumed past 0
 * skips that many bytes of a plain stream. On a read error the ingest stays for a later resume; on a
 * mismatch commit drops it. Returns the digest.
 */
export async function copyToStore(writer: Writer, source: Source, expected: Expected = {}): Promise<string> {
  const stream = typeof source === "function" ? source(writer.offset) : source;
  let skip = typeof source === "function" ? 0 : writer.offset;
  try {
    for await (const chunk of stream) {
      if (skip > 0) {
        if (chunk.length <= skip) {
          skip -= chunk.length;
          continue;
        }
        await writer.write(chunk.subarray(skip));
        skip = 0;
        continue;
      }
      await writer.write(chunk);
    }
  } catch (err) {
    await (writer as Partial<Closable>).close?.();
    throw err;
  }
  return writer.commit(expected.size, expected.digest);
}

interface Closable {
  close(): Promise<void>;
}

/** sha256 of bytes in memory, as "sha256:<hex>" */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
}

/** stores small bytes (manifests, configs) through the same checked path; a random ref never collides */
export async function putBytes(ingester: { writer(ref: string): Promise<Writer> }, data: Uint8Array): Promise<string> {
  const digest = sha256Digest(data);
  const writer = await ingester.writer(`bytes-${crypto.randomUUID()}`);
  await writer.write(data);
  return writer.commit(data.length, digest);
}
