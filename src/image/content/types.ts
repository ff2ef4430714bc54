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

/**
 * A Writer for big blobs made in memory (a layer tar packed from files): the producer fills the writer's
 * own blocks, so no chunk is copied on its way in, and hashing and writing run beside the producer.
 * The digest is still computed by the writer over exactly the bytes it writes, and checked in `commit`.
 */
export interface BlockWriter extends Writer {
  /** an empty block to fill (waits while every block is in flight) */
  take(): Promise<Uint8Array>;
  /** appends the first `length` bytes of a block from `take`; the block belongs to the writer again */
  give(block: Uint8Array, length: number): Promise<void>;
}

export interface BlockIngester {
  blockWriter(ref: string): Promise<BlockWriter>;
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
