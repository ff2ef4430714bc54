/**
 * Small stream pieces for the layer pipeline (fetch -> store + decompress -> hash -> unpack), after deno
 * std's TransformStream style. `splitStream` replaces ReadableStream.tee(): tee buffers without bound
 * when one branch is slower, and a slow disk would make a pull hold whole layers in memory.
 */
import type { Compression } from "../../registry/mediatypes.ts";

/**
 * Two readers of one source with at most one chunk in flight: the source is read only when both branches
 * asked for more. The side branch may stop early (a tar reader stops at its end marker); the main branch
 * then continues alone. An error in the source reaches both.
 */
export interface Split {
  main: ReadableStream<Uint8Array>;
  side: ReadableStream<Uint8Array>;
  /** the side's consumer is finished (or failed): the main branch stops waiting for it */
  releaseSide(): void;
}

export function splitStream(src: ReadableStream<Uint8Array>): Split {
  const reader = src.getReader();
  let sideDone = false;
  let mainDone = false;
  let sideCtrl!: ReadableStreamDefaultController<Uint8Array>;
  let sideWants: (() => void) | undefined;
  let sideWanted = false;

  const waitSide = () =>
    sideDone || sideWanted
      ? Promise.resolve()
      : new Promise<void>((r) => {
          sideWants = r;
        });

  const main = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        await waitSide();
        let r: { done: boolean; value?: Uint8Array };
        try {
          r = await reader.read();
        } catch (err) {
          if (!sideDone) sideCtrl.error(err);
          sideDone = true;
          ctrl.error(err);
          return;
        }
        if (r.done) {
          if (!sideDone) sideCtrl.close();
          sideDone = true;
          ctrl.close();
          return;
        }
        if (!sideDone) {
          sideWanted = false;
          sideCtrl.enqueue(r.value!);
        }
        ctrl.enqueue(r.value!);
      },
      async cancel(reason) {
        mainDone = true;
        await reader.cancel(reason).catch(() => {});
        if (!sideDone) sideCtrl.error(reason ?? new Error("stream cancelled"));
        sideDone = true;
      },
    },
    { highWaterMark: 0 },
  );

  const side = new ReadableStream<Uint8Array>(
    {
      start(ctrl) {
        sideCtrl = ctrl;
      },
      pull() {
        sideWanted = true;
        sideWants?.();
        sideWants = undefined;
      },
      cancel() {
        release();
      },
    },
    { highWaterMark: 1 },
  );
  function release() {
    sideDone = true;
    sideWants?.();
    sideWants = undefined;
  }
  void mainDone;
  return { main, side, releaseSide: release };
}

/** hashes what passes through; `digest()` is valid once the stream ended */
export class HashStream extends TransformStream<Uint8Array, Uint8Array> {
  #hasher = new Bun.CryptoHasher("sha256");
  #bytes = 0;
  constructor(onChunk?: (n: number) => void) {
    const self = { h: null as unknown as Bun.CryptoHasher, add: (_n: number) => {} };
    super({
      transform: (chunk, ctrl) => {
        self.h.update(chunk);
        self.add(chunk.byteLength);
        onChunk?.(chunk.byteLength);
        ctrl.enqueue(chunk);
      },
    });
    self.h = this.#hasher;
    self.add = (n) => (this.#bytes += n);
  }
  get bytes(): number {
    return this.#bytes;
  }
  digest(): string {
    return `sha256:${this.#hasher.digest("hex")}`;
  }
}

/** native gzip/zstd decompression (DecompressionStream is zlib/zstd in Bun, not JS) */
export function decompress(stream: ReadableStream<Uint8Array>, c: Compression): ReadableStream<Uint8Array> {
  if (c === "none") return stream;
  return stream.pipeThrough(new DecompressionStream(c as "gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
}

/** reads a stream to its end, discarding the bytes (so a hash over it completes) */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}
