/**
 * An in-memory ContentStore with the same rules as the local one (checked commit, refs locked while a
 * writer is open, resumable ingests). For unit tests of code that only needs a store, such as pull or
 * push logic; it passes the same conformance suite as LocalContentStore.
 */
import { BlobNotFoundError, DigestMismatchError, digestHex, IngestLockedError, SizeMismatchError } from "./errors.ts";
import type { BlobInfo, ContentStore, IngestManager, IngestStatus, Writer } from "./types.ts";

interface Ingest {
  chunks: Uint8Array[];
  size: number;
  startedAt: Date;
  updatedAt: Date;
  locked: boolean;
}

export class MemoryContentStore implements ContentStore, IngestManager {
  private blobs = new Map<string, Uint8Array>();
  private ingests = new Map<string, Ingest>();

  blobPath(digest: string): string {
    throw new Error(`memory store has no file for ${digest}`);
  }

  async info(digest: string): Promise<BlobInfo | null> {
    digestHex(digest);
    const b = this.blobs.get(digest);
    return b ? { digest, size: b.length } : null;
  }

  async readBytes(digest: string): Promise<Uint8Array> {
    const b = this.blobs.get(digest);
    if (!b) throw new BlobNotFoundError(digest);
    return b.slice();
  }

  readStream(digest: string, offset = 0): ReadableStream<Uint8Array> {
    const b = this.blobs.get(digest);
    if (!b) throw new BlobNotFoundError(digest);
    return new Blob([b.subarray(offset)]).stream();
  }

  async list(): Promise<BlobInfo[]> {
    return [...this.blobs].map(([digest, b]) => ({ digest, size: b.length }));
  }

  async delete(digest: string): Promise<void> {
    if (!this.blobs.delete(digest)) throw new BlobNotFoundError(digest);
  }

  async writer(ref: string): Promise<Writer> {
    let ingest = this.ingests.get(ref);
    if (ingest?.locked) throw new IngestLockedError(ref);
    if (!ingest) {
      ingest = { chunks: [], size: 0, startedAt: new Date(), updatedAt: new Date(), locked: false };
      this.ingests.set(ref, ingest);
    }
    ingest.locked = true;
    const hasher = new Bun.CryptoHasher("sha256");
    for (const c of ingest.chunks) hasher.update(c);
    const it = ingest;
    let done = false;
    const finish = (keep: boolean) => {
      done = true;
      it.locked = false;
      if (!keep) this.ingests.delete(ref);
    };
    const store = this;
    return {
      get offset() {
        return it.size;
      },
      async write(chunk) {
        if (done) throw new Error("write after commit or abort");
        it.chunks.push(chunk.slice());
        it.size += chunk.length;
        it.updatedAt = new Date();
        hasher.update(chunk);
      },
      async commit(size, expected) {
        if (done) throw new Error("commit after commit or abort");
        if (size !== undefined && size !== it.size) {
          finish(false);
          throw new SizeMismatchError(it.size, size);
        }
        const digest = `sha256:${hasher.digest("hex")}`;
        finish(false);
        if (expected !== undefined && expected !== digest) throw new DigestMismatchError(digest, expected);
        if (!store.blobs.has(digest)) store.blobs.set(digest, Buffer.concat(it.chunks));
        return digest;
      },
      async abort() {
        if (!done) finish(false);
      },
      async close() {
        if (!done) finish(true);
      },
    } as Writer;
  }

  async status(ref: string): Promise<IngestStatus | null> {
    const i = this.ingests.get(ref);
    return i ? { ref, offset: i.size, startedAt: i.startedAt, updatedAt: i.updatedAt } : null;
  }

  async listIngests(): Promise<IngestStatus[]> {
    return [...this.ingests].map(([ref, i]) => ({ ref, offset: i.size, startedAt: i.startedAt, updatedAt: i.updatedAt }));
  }

  async abortIngest(ref: string): Promise<void> {
    const i = this.ingests.get(ref);
    if (i?.locked) throw new IngestLockedError(ref);
    this.ingests.delete(ref);
  }
}
