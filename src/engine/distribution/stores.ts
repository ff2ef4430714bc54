/**
 * Adapts the image store (content store, snapshotter, image index, tar applier) to the narrow interfaces
 * pull/push/save/load use. The snapshotter wants a committed parent at prepare time, but pull unpacks
 * layers in parallel, so a layer is unpacked into a parentless work dir and moved into a snapshot
 * prepared on its parent when its turn to commit comes (a rename on the same filesystem).
 */
import { renameSync, rmdirSync } from "node:fs";
import { REPO_DIGEST_ANNOTATION, type ImageStore, type Lease } from "../../image/store.ts";
import type { PreparedSnapshot } from "../../image/snapshots.ts";
import { applyLayer } from "../../image/tar/apply.ts";
import { linuxSys } from "../../sys/linux.ts";
import { openImageStore } from "../images/resolve.ts";
import { unpackInThread } from "./layer.ts";
import { gzipBlob } from "../../image/compress.ts";
import { isForeignLayer, layerCompression } from "../../image/manifest.ts";
import type { ImageStoreParts, LayerConversions, PreparedLayer } from "./types.ts";
import { unpackLayer } from "./unpacker.ts";

export { REPO_DIGEST_ANNOTATION };

export function partsOf(store: ImageStore): ImageStoreParts {
  const snap = store.snapshots;
  const sizes = new Map<string, number>();
  const parts: ImageStoreParts = {
    content: store.content,
    snapshots: {
      exists: async (chainId) => snap.stat(chainId) !== null,
      remove: (chainId) => snap.remove(chainId),
      prepare: async (chainId): Promise<PreparedLayer> => {
        const work = await snap.prepare();
        return {
          dir: work.dir,
          async commit(parent) {
            let target: PreparedSnapshot = work;
            if (parent !== undefined) {
              target = await snap.prepare(parent);
              rmdirSync(target.dir);
              renameSync(work.dir, target.dir);
              work.abort();
            }
            await target.commit(chainId, sizes.get(work.dir) ?? 0);
          },
          async abort() {
            work.abort();
          },
        };
      },
    },
    names: {
      get: async (name) => store.index.get(name)?.target,
      // setName keeps an image that loses its last name as dangling, like Docker
      set: async (name, target) => void (await store.setName(name, target)),
    },
    applyLayer: async (tar, dir) => {
      const r = await applyLayer(tar, dir, { mode: "overlay", sys: linuxSys() });
      sizes.set(dir, r.size);
      return r;
    },
  };
  parts.conversions = conversionsOf(store);
  parts.unpack = async (stream, dir, compression) => {
    const r = await unpackLayer(stream, dir, compression, (s, d, c) => unpackInThread(parts, s, d, c));
    sizes.set(dir, r.size);
    return r;
  };
  return parts;
}

/** push's layer compression on this store (gzip-layers.ts) */
function conversionsOf(store: ImageStore): LayerConversions {
  return {
    garbage: new Set(),
    gzipOf: async (diffId) => {
      for (const img of await store.images()) {
        const i = img.config.rootfs.diff_ids.indexOf(diffId);
        if (i < 0) continue;
        for (const m of img.manifests.values()) {
          const l = m.layers[i];
          if (!l || layerCompression(l.mediaType) !== "gzip" || isForeignLayer(l.mediaType)) continue;
          const info = await store.content.info(l.digest);
          if (info?.size === l.size) return { digest: l.digest, size: l.size };
        }
      }
      return undefined;
    },
    gzip: (digest, signal) => gzipBlob(store.content, digest, { signal }),
    retarget: (from, to) => store.retarget(from, to),
  };
}

/**
 * Runs `fn` on the store under the configured root while holding a lease, so rmi/prune/repair in other
 * processes keep off blobs and snapshots this operation is adding. Failures roll back their own additions,
 * so the lease is released either way. Blobs the work left unreferenced (conversions.garbage) are then
 * deleted if no other lease is live; if one is, the lease file stays behind so the next repair sweeps.
 */
export async function withStore<T>(purpose: string, fn: (parts: ImageStoreParts, store: ImageStore) => Promise<T>): Promise<T> {
  const store = await openImageStore();
  const lease: Lease = await store.lease(purpose);
  const parts = partsOf(store);
  try {
    return await fn(parts, store);
  } finally {
    const garbage = parts.conversions?.garbage;
    if (garbage?.size) {
      lease.releaseLock();
      if (await store.collect(garbage).catch(() => false)) lease.release();
    } else {
      lease.release();
    }
  }
}
