/**
 * Narrow content-store interfaces (after containerd's core/content): consumers take only what they use.
 * Blobs are addressed by "sha256:<hex>". Nothing written is visible until `commit` has checked size and
 * digest, fsynced and renamed it into blobs/sha256/<hex>; committing a blob that exists is success.
 */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface Provider {
  info(digest: string): Promise<BlobInfo | null>;
  /** whole blob in memory (manifests, configs) */
  readBytes(digest: string): Promise<Uint8Array>;
  /** streaming read (layers), optionally from an offset */
  readStream(digest: string, offset?: number): ReadableStream<Uint8Array>;
  /** filesystem path of a committed blob */
  blobPath(digest: string): string;
}

export interface Writer {
  /** bytes accepted so far (a resumed ingest starts past 0) */
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  /** verifies size and digest (when given), fsyncs, renames into place; returns the digest */
  commit(expectedSize?: number, expectedDigest?: string): Promise<string>;
  /** drops the ingest and its temp file */
  abort(): Promise<void>;
}

export interface Ingester {
  /** a writer for an ingest keyed by ref; an unfinished ingest under the same ref is resumed */
  writer(ref: string): Promise<Writer>;
}

export interface Manager {
  list(): Promise<BlobInfo[]>;
  delete(digest: string): Promise<void>;
}

export interface ContentStore extends Provider, Ingester, Manager {}

export interface IngestStatus {
  ref: string;
  /** bytes written so far: where a resumed copy starts */
  offset: number;
  startedAt: Date;
  updatedAt: Date;
}

/** unfinished ingests (containerd's IngestManager): resume points and cleanup */
export interface IngestManager {
  status(ref: string): Promise<IngestStatus | null>;
  listIngests(): Promise<IngestStatus[]>;
  /** drops an unfinished ingest; a no-op when there is none */
  abortIngest(ref: string): Promise<void>;
}
