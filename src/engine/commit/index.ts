/**
 * `commit`: a container's changes become a new image = the parent image's layers + one layer made from
 * the overlay upper dir, with the container's config (plus -c changes) and one more history entry, as
 * Docker's CreateImageFromContainer does. A running container is frozen while its upper dir is read
 * (default --pause=true), so the layer is one consistent moment of its filesystem.
 *
 * The layer is stored as Docker's commit stores it: an uncompressed tar, whose digest is its diff ID
 * (gzip happens once, at push); --compression gzip|zstd compresses at commit time instead (store.ts).
 *
 * Reproducible: the layer tar is deterministic (see layer.ts) with mtimes clamped to SOURCE_DATE_EPOCH
 * when set, else to the parent image's creation time; gzip members carry no name and no timestamp.
 * The same change committed twice, from the same or another container, gives the same layer digest.
 *
 * An unchanged container commits like Docker's (graphdriver) commit: no layer is added, the history
 * entry says empty_layer.
 */
import { serializeImageConfig, type ContainerConfig as ImageRunConfig, type HistoryEntry, type ImageConfig } from "../../image/config.ts";
import { putBytes } from "../../image/content/copy.ts";
import type { StoredLayer } from "../../image/layer.ts";
import { MediaType, ociManifest } from "../../image/manifest.ts";
import { formatReference, parseReference, withDefaultTag } from "../../image/reference.ts";
import { chainIds } from "../../image/snapshots.ts";
import type { ImageStore } from "../../image/store.ts";
import { BunkerError } from "../../errors.ts";
import { linuxSys } from "../../sys/index.ts";
import { pauseContainer, unpauseContainer } from "../containers/pause.ts";
import { refresh } from "../containers/refresh.ts";
import { cpaths } from "../containers/store.ts";
import type { ContainerRecord } from "../containers/types.ts";
import { scanUpper } from "../diff.ts";
import { applyChanges } from "../images/changes.ts";
import { storeCommitLayer, type CommitCompression } from "./store.ts";

export interface CommitOptions {
  author?: string;
  message?: string;
  changes?: string[];
  /** freeze a running container while reading (default true) */
  pause?: boolean;
  /** REPOSITORY[:TAG] */
  reference?: string;
  /** how the new layer is stored (store.ts): "none" (default: a plain tar, as Docker), "gzip" or "zstd" */
  compression?: CommitCompression;
  /** "lazy" (default): the layer snapshot is made by the first run (image/unpack.ts); "eager": now */
  snapshot?: "eager" | "lazy";
}

export interface CommitResult {
  /** "sha256:<config digest>" */
  id: string;
  manifestDigest: string;
  /** the new layer's blob digest; undefined for an empty commit */
  layerDigest?: string;
  name?: string;
}

export async function commitContainer(store: ImageStore, ref: string, opts: CommitOptions = {}): Promise<CommitResult> {
  const v = await refresh(ref);
  // everything that can be refused is checked before the container is touched
  const name = opts.reference ? commitName(opts.reference) : undefined;
  const parent = (await store.images()).find((i) => i.id === v.record.Image);
  // rmi refuses an image a container uses, so this means a store damaged by hand
  if (!parent || parent.manifest.layers.length !== parent.config.rootfs.diff_ids.length) {
    throw new BunkerError(`Error response from daemon: the image of container ${v.id.slice(0, 12)} (${v.record.Image}) is no longer in the store`);
  }
  const parentConfig = parent.config;
  const config = applyChanges(imageConfigOf(v.record, parentConfig.config ?? {}), opts.changes ?? []);
  const parentLayers = parent.manifest.layers;
  const chains = chainIds(parentConfig.rootfs.diff_ids);

  const lease = await store.lease(`commit ${v.id}`);
  let ok = false;
  try {
    let paused = opts.pause !== false && v.status === "running";
    if (paused) await pauseContainer(v.id, true);
    // once every file is read the container may run on, while the blob is still being written and synced;
    // a failed unpause (its state write on a disk our ingest filled) is tried again after the cleanup
    const thaw = async () => {
      if (!paused) return;
      await unpauseContainer(v.id);
      paused = false;
    };
    let layer: StoredLayer | null = null;
    try {
      const sys = linuxSys();
      const scan = scanUpper(cpaths.upper(v.id), v.record.Bunker.Lower, sys);
      if (scan.items.length > 0) {
        const epoch = Number(process.env.SOURCE_DATE_EPOCH);
        const clamp = Number.isInteger(epoch) && epoch >= 0 ? epoch : Math.floor(Date.parse(parentConfig.created ?? "") / 1000) || 0;
        layer = await storeCommitLayer(store, scan.items, { parent: chains.at(-1), clamp, compression: opts.compression ?? "none", snapshot: opts.snapshot ?? "lazy", sys, read: thaw });
      }
    } finally {
      await thaw().catch(() => {});
    }

    const created = new Date().toISOString();
    const history: HistoryEntry = { created, created_by: (v.record.Config.Cmd ?? []).join(" ") };
    if (opts.author) history.author = opts.author;
    if (opts.message) history.comment = opts.message;
    if (!layer) history.empty_layer = true;
    const imageConfig: ImageConfig = {
      architecture: parentConfig.architecture,
      os: parentConfig.os,
      ...(parentConfig.variant ? { variant: parentConfig.variant } : {}),
      ...(opts.author ? { author: opts.author } : {}),
      ...(opts.message ? { comment: opts.message } : {}),
      config,
      created,
      history: [...parentHistory(parentConfig), history],
      rootfs: { type: "layers", diff_ids: layer ? [...parentConfig.rootfs.diff_ids, layer.diffId] : parentConfig.rootfs.diff_ids },
    };
    const configBytes = serializeImageConfig(imageConfig);
    const configDigest = await putBytes(store.content, configBytes);
    const layers = layer ? [...parentLayers, layer.desc] : parentLayers;
    const manifestBytes = ociManifest({ mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length }, layers);
    const manifestDigest = await putBytes(store.content, manifestBytes);
    const target = { mediaType: MediaType.ociManifest, digest: manifestDigest, size: manifestBytes.length };
    if (name) await store.setName(name, target);
    else await store.addDangling(target);
    ok = true;
    return { id: configDigest, manifestDigest, ...(layer ? { layerDigest: layer.desc.digest } : {}), ...(name ? { name } : {}) };
  } finally {
    if (ok) lease.release();
    else lease.releaseLock();
  }
}

/** the container's run config in image-config terms (what `docker commit` keeps), over the image's */
function imageConfigOf(rec: ContainerRecord, base: ImageRunConfig): ImageRunConfig {
  const c = rec.Config;
  const out: ImageRunConfig = { ...structuredClone(base) };
  if (c.User) out.User = c.User;
  else delete out.User;
  out.Env = [...c.Env];
  out.Cmd = c.Cmd;
  out.Entrypoint = c.Entrypoint;
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  else delete out.WorkingDir;
  if (c.Volumes && Object.keys(c.Volumes).length) out.Volumes = c.Volumes;
  if (c.Labels && Object.keys(c.Labels).length) out.Labels = c.Labels;
  if (c.OnBuild) out.OnBuild = c.OnBuild;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  return out;
}

/** the parent's history, padded so each of its layers has an entry (images imported without one) */
function parentHistory(c: ImageConfig): HistoryEntry[] {
  const h = c.history ?? [];
  const layered = h.filter((e) => !e.empty_layer).length;
  const missing = Math.max(0, c.rootfs.diff_ids.length - layered);
  return [...h, ...Array.from({ length: missing }, () => ({ created: c.created }))];
}

/** Docker refuses digests here and adds ":latest" */
function commitName(ref: string): string {
  const parsed = parseReference(ref);
  if (parsed.digest) throw new BunkerError("Error response from daemon: invalid reference format: a digest is not allowed");
  return formatReference(withDefaultTag(parsed));
}
