/**
 * Worker side of the layer unpacker: decompress, hash (diff ID) and apply one layer off the main thread.
 * On a 2-CPU machine the main thread was the bottleneck of a pull (hashing + gunzip + tar apply for every
 * layer on one core); a worker per layer lets layers unpack in parallel. Chunks arrive with credits for
 * backpressure, so memory stays bounded.
 */
import { normalJitPolicy } from "../../runtime/jit.ts";
import { applyLayer } from "../../image/tar/apply.ts";
import { linuxSys } from "../../sys/linux.ts";
import type { Compression } from "../../registry/mediatypes.ts";
import { HashStream, decompress, drain, splitStream } from "./streams.ts";

export type ToWorker = { t: "start"; dir: string; compression: Compression } | { t: "chunk"; data: Uint8Array } | { t: "end" } | { t: "abort" };
export type FromWorker = { t: "ready" } | { t: "credit" } | { t: "done"; diffId: string; size: number } | { t: "error"; message: string; name: string; code?: string };

declare const self: Worker;

// chunks wait here until the pipeline pulls them; a credit goes back only then, so the parent never has
// more than its credit count of chunks in flight (memory stays bounded even when the disk is slow)
const queue: (Uint8Array | "end" | Error)[] = [];
let wake: (() => void) | undefined;

// layers are whole loops over data: the normal JIT policy, whatever the executable started with
normalJitPolicy();

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.t === "start") void run(m.dir, m.compression);
  else queue.push(m.t === "chunk" ? m.data : m.t === "end" ? "end" : new Error("aborted"));
  wake?.();
};

const input = new ReadableStream<Uint8Array>(
  {
    async pull(ctrl) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const item = queue.shift()!;
      if (item === "end") ctrl.close();
      else if (item instanceof Error) ctrl.error(item);
      else {
        ctrl.enqueue(item);
        self.postMessage({ t: "credit" } satisfies FromWorker);
      }
    },
  },
  { highWaterMark: 0 },
);

// tells the parent the module loaded: until then it keeps the stream, so it can fall back to its thread
self.postMessage({ t: "ready" } satisfies FromWorker);

async function run(dir: string, compression: Compression): Promise<void> {
  try {
    const split = splitStream(decompress(input, compression));
    const hash = new HashStream();
    const hashP = drain(split.main.pipeThrough(hash));
    const applyP = applyLayer(split.side, dir, { mode: "overlay", sys: linuxSys() }).finally(() => split.releaseSide());
    const [, applied] = await Promise.all([hashP, applyP]);
    self.postMessage({ t: "done", diffId: hash.digest(), size: applied.size } satisfies FromWorker);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    self.postMessage({ t: "error", message: e?.message ?? String(err), name: e?.name ?? "Error", code: e?.code } satisfies FromWorker);
  }
}
