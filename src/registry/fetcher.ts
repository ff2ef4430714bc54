/**
 * Blob downloads as one ReadableStream that survives a cut connection: when the body breaks, the stream
 * asks again with `Range: bytes=<received>-` and carries on, so the consumer (hashing, decompressing,
 * unpacking) never notices. It never yields more than the descriptor's size: a registry sending a larger
 * blob is stopped at once instead of filling the disk.
 */
import type { Descriptor } from "../image/content/types.ts";
import type { RegistryClient } from "./client.ts";
import { DigestError, RegistryError, TransportError, netMessage } from "./errors.ts";

export interface FetchOptions {
  /** start here (a resumed ingest already holds the bytes before it) */
  offset?: number;
  /** how many broken bodies we resume before giving up */
  resumes?: number;
  scopes: string[];
}

const DEFAULT_RESUMES = 5;

export function fetchBlob(client: RegistryClient, repo: string, desc: Descriptor, o: FetchOptions): ReadableStream<Uint8Array> {
  const path = `/v2/${repo}/blobs/${desc.digest}`;
  let received = o.offset ?? 0;
  let resumesLeft = o.resumes ?? DEFAULT_RESUMES;
  let reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(r?: unknown): Promise<void> } | undefined;

  const open = async () => {
    const headers: Record<string, string> = {};
    if (received > 0) headers.Range = `bytes=${received}-`;
    const res = await client.request(path, { scopes: o.scopes, headers, raw: true });
    if (received > 0 && res.status === 200) {
      // the server ignored Range: skip what we already have
      reader = skipBytes(res.body!, received).getReader();
      return;
    }
    if (received > 0 && res.status !== 206) throw new RegistryError(`fetching ${desc.digest}: unexpected status ${res.status} for a range request`, res.status);
    if (res.status === 206) {
      const start = Number(/bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1] ?? NaN);
      if (start !== received) throw new RegistryError(`fetching ${desc.digest}: registry resumed at ${start}, wanted ${received}`, 206);
    }
    if (!res.body) throw new TransportError(`fetching ${desc.digest}: empty response body`);
    reader = res.body.getReader();
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        for (;;) {
          try {
            if (!reader) await open();
            const { done, value } = await reader!.read();
            if (done) {
              if (received < desc.size) throw new TransportError(`fetching ${desc.digest}: connection closed after ${received} of ${desc.size} bytes`);
              ctrl.close();
              return;
            }
            received += value!.byteLength;
            if (received > desc.size) {
              await reader!.cancel().catch(() => {});
              throw new DigestError(desc.digest, `failed to fetch ${desc.digest}: blob is larger than its descriptor size ${desc.size}`);
            }
            ctrl.enqueue(value!);
            return;
          } catch (err) {
            reader = undefined;
            if (!isResumable(err) || resumesLeft-- <= 0) {
              ctrl.error(isResumable(err) ? new TransportError(`failed to fetch ${desc.digest}: ${netMessage(err)} (after ${received} of ${desc.size} bytes)`, err) : err);
              return;
            }
            // loop: reopen from `received`
          }
        }
      },
      async cancel(reason) {
        await reader?.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/** a broken body or connection, not an answer from the registry */
function isResumable(err: unknown): boolean {
  if (err instanceof DigestError) return false;
  if (err instanceof RegistryError) return false;
  return true;
}

function skipBytes(body: ReadableStream<Uint8Array>, n: number): ReadableStream<Uint8Array> {
  let left = n;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctrl) {
        if (left >= chunk.byteLength) {
          left -= chunk.byteLength;
          return;
        }
        ctrl.enqueue(left > 0 ? chunk.subarray(left) : chunk);
        left = 0;
      },
    }),
  );
}
