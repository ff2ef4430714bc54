/**
 * Runs the unpack half of a layer (decompress -> diff-ID hash -> tar apply) in a Worker, so layers of one
 * pull unpack on several cores. Falls back to the calling thread when workers are unavailable (e.g. a
 * binary built without the worker entrypoint).
 */
import type { Compression } from "../../registry/mediatypes.ts";
import type { FromWorker, ToWorker } from "./unpack-worker.ts";

const CREDITS = 8;
let workersBroken = process.env.BUNKER_UNPACK_WORKERS === "0";

export interface Unpacked {
  diffId: string;
  size: number;
}

export type InThread = (stream: ReadableStream<Uint8Array>, dir: string, compression: Compression) => Promise<Unpacked>;

/**
 * Where the worker module lives: next to this file when run from source; in a compiled binary at the
 * path `bun build --compile src/cli/main.ts src/engine/distribution/unpack-worker.ts` gives it (paths
 * are relative to the entrypoints' common root, src/).
 */
function workerSpecifier(): string {
  if (import.meta.url.includes("/$bunfs/")) return "/$bunfs/root/engine/distribution/unpack-worker.js";
  return new URL("./unpack-worker.ts", import.meta.url).href;
}

/** a loaded worker, or null when this build has none (then every layer unpacks on this thread) */
async function startWorker(): Promise<Worker | null> {
  if (workersBroken) return null;
  let w: Worker;
  try {
    w = new Worker(workerSpecifier());
  } catch {
    workersBroken = true;
    return null;
  }
  const ok = await new Promise<boolean>((resolve) => {
    w.onmessage = (ev: MessageEvent<FromWorker>) => resolve(ev.data.t === "ready");
    w.onerror = () => resolve(false);
  });
  if (!ok) {
    workersBroken = true;
    w.terminate();
    return null;
  }
  return w;
}

export async function unpackLayer(stream: ReadableStream<Uint8Array>, dir: string, compression: Compression, fallback: InThread): Promise<Unpacked> {
  const worker = await startWorker();
  if (!worker) return fallback(stream, dir, compression);
  const reader = stream.getReader();
  let credits = CREDITS;
  let wake: (() => void) | undefined;
  let finished = false;
  const result = new Promise<Unpacked>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      if (m.t === "credit") {
        credits++;
        wake?.();
      } else if (m.t === "done") resolve({ diffId: m.diffId, size: m.size });
      else if (m.t === "error") reject(Object.assign(new Error(m.message), { name: m.name, code: m.code }));
    };
    worker.onerror = (ev) => reject(new Error(`layer unpack worker failed: ${ev.message}`));
  });
  const post = (m: ToWorker) => worker.postMessage(m);
  post({ t: "start", dir, compression });
  const pump = (async () => {
    try {
      for (;;) {
        while (credits <= 0 && !finished) await new Promise<void>((r) => (wake = r));
        if (finished) return;
        const { done, value } = await reader.read();
        if (done) {
          post({ t: "end" });
          return;
        }
        credits--;
        // cloned, not transferred: the same chunk is also on its way into the content store
        post({ t: "chunk", data: value });
      }
    } catch (err) {
      post({ t: "abort" });
      throw err;
    }
  })();
  try {
    const [r] = await Promise.all([result, pump]);
    return r;
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    finished = true;
    wake?.();
    worker.terminate();
  }
}
