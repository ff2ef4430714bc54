/**
 * What pull/push/save/load need from the image store, as narrow interfaces (containerd style): tests can
 * pass fakes, and the image store's own classes are adapted in one place (stores.ts).
 */
import type { ContentStore, Descriptor, IngestManager } from "../../image/content/types.ts";
import type { Compression } from "../../registry/mediatypes.ts";

export interface PreparedLayer {
  /** empty directory the layer is unpacked into */
  dir: string;
  /** makes the snapshot visible under its chain ID, on top of `parent` */
  commit(parent: string | undefined): Promise<void>;
  abort(): Promise<void>;
}

export interface LayerSnapshots {
  exists(chainId: string): Promise<boolean>;
  prepare(chainId: string): Promise<PreparedLayer>;
  /** used to roll back what a failed pull committed */
  remove(chainId: string): Promise<void>;
}

export interface ImageNames {
  /** manifest digest a name points at, if any */
  get(name: string): Promise<Descriptor | undefined>;
  set(name: string, target: Descriptor): Promise<void>;
}

/** unpacks an uncompressed layer tar into dir, whiteouts as overlay expects */
export type ApplyLayer = (tar: ReadableStream<Uint8Array>, dir: string) => Promise<unknown>;

/** decompress + diff-ID hash + apply, possibly on another thread; returns the uncompressed digest */
export type UnpackLayer = (stream: ReadableStream<Uint8Array>, dir: string, compression: Compression) => Promise<{ diffId: string; size: number }>;

/**
 * What push needs to send plain-tar layers as gzip and remember that it did (gzip-layers.ts). Without
 * it (fakes, older callers) push sends layers as they are stored.
 */
export interface LayerConversions {
  /** a stored gzip blob of the layer whose uncompressed digest is `diffId`, from any local image */
  gzipOf(diffId: string): Promise<{ digest: string; size: number } | undefined>;
  /** compresses the plain-tar blob `digest` into a new gzip blob (verified, deterministic) */
  gzip(digest: string, signal?: AbortSignal): Promise<{ digest: string; size: number }>;
  /** points every tag naming manifest `from` at `to` (same image ID); returns the names moved */
  retarget(from: string, to: Descriptor): Promise<string[]>;
  /**
   * blobs this operation may have left unreferenced (a replaced manifest and its plain layers, or a
   * failed push's new gzip blobs): withStore deletes those no image references once the work is done
   */
  garbage: Set<string>;
}

export interface ImageStoreParts {
  content: ContentStore & IngestManager;
  snapshots: LayerSnapshots;
  names: ImageNames;
  applyLayer: ApplyLayer;
  /** optional faster path for applyLayer (workers); defaults to applyLayer on this thread */
  unpack?: UnpackLayer;
  conversions?: LayerConversions;
}

/** Docker's progress vocabulary, one event per change */
export interface ProgressEvent {
  /** 12-hex short digest of the blob, or "" for whole-image lines */
  id: string;
  status:
    | "Pulling fs layer"
    | "Waiting"
    | "Downloading"
    | "Verifying Checksum"
    | "Download complete"
    | "Extracting"
    | "Pull complete"
    | "Already exists"
    | "Preparing"
    | "Pushing"
    | "Pushed"
    | "Layer already exists"
    | "Mounted from"
    | "Retrying";
  current?: number;
  total?: number;
  detail?: string;
}

export type ProgressFn = (e: ProgressEvent) => void;

export function shortDigest(d: string): string {
  return d.replace(/^sha256:/, "").slice(0, 12);
}
