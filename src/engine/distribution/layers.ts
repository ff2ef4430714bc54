/**
 * All layers of one image: fetched (or read from the store) in parallel with a bound, unpacked while they
 * arrive, and committed as snapshots parent-first. Used by pull (bytes from a registry) and load (bytes
 * already in the store). On failure every sibling is aborted and whatever this call added (blobs,
 * snapshots, ingests) is removed again before the error goes up.
 */
import type { Fetcher } from "../../registry/resolver.ts";
import { pullLayer, type LayerJob, type LayerResult } from "./layer.ts";
import { shortDigest, type ImageStoreParts, type ProgressFn } from "./types.ts";

export const MAX_CONCURRENT_DOWNLOADS = Number(process.env.BUNKER_MAX_CONCURRENT_DOWNLOADS) || 3;

export async function storeLayers(jobs: LayerJob[], parts: ImageStoreParts, fetcher: Fetcher, progress: ProgressFn): Promise<void> {
  const abort = new AbortController();
  const results: (LayerResult | undefined)[] = [];
  const committed: string[] = [];
  try {
    const settled = runLimited(jobs, MAX_CONCURRENT_DOWNLOADS, async (job, i) => {
      try {
        results[i] = await pullLayer(job, parts, fetcher, progress, abort.signal);
        return results[i]!;
      } catch (err) {
        if (!abort.signal.aborted) abort.abort(err);
        throw err;
      }
    });
    // snapshots become visible parent-first; a layer is committed as soon as it and its parents are done
    for (let i = 0; i < jobs.length; i++) {
      const r = await settled[i]!;
      if (r.prepared) {
        await r.prepared.commit(i === 0 ? undefined : jobs[i - 1]!.chainId);
        committed.push(jobs[i]!.chainId);
        progress({ id: shortDigest(jobs[i]!.desc.digest), status: "Pull complete" });
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) abort.abort(err);
    // siblings still running see the abort; wait for them before removing what they wrote
    await Promise.allSettled(results.map(() => undefined));
    await new Promise((r) => setTimeout(r, 0));
    for (const r of results) await r?.prepared?.abort().catch(() => {});
    for (const c of committed.reverse()) await parts.snapshots.remove(c).catch(() => {});
    for (let i = 0; i < jobs.length; i++) {
      if (results[i]?.newBlob) await parts.content.delete(jobs[i]!.desc.digest).catch(() => {});
    }
    for (const ing of await parts.content.listIngests().catch(() => [])) {
      if (ing.ref.startsWith("pull-")) await parts.content.abortIngest(ing.ref).catch(() => {});
    }
    throw err;
  }
}

/** runs fn over items with at most `limit` at once; returns one promise per item, in order */
function runLimited<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R>[] {
  let next = 0;
  const resolvers: { resolve: (v: R) => void; reject: (e: unknown) => void }[] = [];
  const promises = items.map(
    () =>
      new Promise<R>((resolve, reject) => {
        resolvers.push({ resolve, reject });
      }),
  );
  for (const p of promises) p.catch(() => {});
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        resolvers[i]!.resolve(await fn(items[i]!, i));
      } catch (err) {
        resolvers[i]!.reject(err);
      }
    }
  };
  for (let w = 0; w < Math.min(limit, items.length); w++) void worker();
  return promises;
}
