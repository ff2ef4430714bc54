/**
 * The content store on disk (containerd's local store): blobs/sha256/<hex>, read-only once committed;
 * ingests under ingest/<sha256(ref)>/ with `data`, `ref` and `startedat`. A writer holds an flock on its
 * ingest directory, so a second writer for the same ref is refused and the repair pass can tell a dead
 * ingest (lock free) from a live one.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync, constants as C } from "node:fs";
import { join } from "node:path";
import { atomicWrite, ensureDir, FileLock, fsyncDir, isErrno } from "../_fs.ts";
import { BlobNotFoundError, DigestMismatchError, digestHex, IngestLockedError, SizeMismatchError } from "./errors.ts";
import { ThreadedWriter, type BlockWriterOptions } from "./threaded.ts";
import type { BlobInfo, BlockIngester, BlockWriter, ContentStore, IngestManager, IngestStatus, Writer } from "./types.ts";

const REHASH_CHUNK = 1 << 20;

export class LocalContentStore implements ContentStore, IngestManager, BlockIngester {
  readonly blobsDir: string;
  readonly ingestDir: string;

  /** `root` is the content directory (dirs.blobs()/.. in the engine, a temp dir in tests) */
  constructor(readonly root: string) {
    this.blobsDir = join(root, "blobs", "sha256");
    this.ingestDir = join(root, "ingest");
    ensureDir(this.blobsDir);
    ensureDir(this.ingestDir);
  }

  blobPath(digest: string): string {
    return join(this.blobsDir, digestHex(digest));
  }

  async info(digest: string): Promise<BlobInfo | null> {
    try {
      return { digest, size: statSync(this.blobPath(digest)).size };
    } catch (err) {
      if (isErrno(err, "ENOENT")) return null;
      throw err;
    }
  }

  async readBytes(digest: string): Promise<Uint8Array> {
    try {
      return readFileSync(this.blobPath(digest));
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw new BlobNotFoundError(digest);
      throw err;
    }
  }

  readStream(digest: string, offset = 0): ReadableStream<Uint8Array> {
    const path = this.blobPath(digest);
    if (!existsSync(path)) throw new BlobNotFoundError(digest);
    const file = Bun.file(path);
    return (offset > 0 ? file.slice(offset) : file).stream();
  }

  async list(): Promise<BlobInfo[]> {
    return readdirSync(this.blobsDir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => ({ digest: `sha256:${n}`, size: statSync(join(this.blobsDir, n)).size }));
  }

  async delete(digest: string): Promise<void> {
    try {
      rmSync(this.blobPath(digest));
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw new BlobNotFoundError(digest);
      throw err;
    }
  }

  async writer(ref: string): Promise<Writer> {
    return this.openIngest(ref, (dir, data, lock, resumed) => {
      const fd = openSync(data, C.O_WRONLY | C.O_CREAT, 0o644);
      const hasher = new Bun.CryptoHasher("sha256");
      const offset = resumed ? rehash(data, hasher) : 0;
      return new LocalWriter(this, dir, fd, lock, hasher, offset);
    });
  }

  /** a writer for big blobs packed in memory: hashing and writing on a worker (threaded.ts) */
  async blockWriter(ref: string, opts?: BlockWriterOptions): Promise<BlockWriter> {
    return this.openIngest(ref, (dir, data, lock, resumed) => new ThreadedWriter(this, ref, dir, data, lock, resumed ? statSync(data).size : 0, opts));
  }

  /** locks the ingest for `ref` (made if new) and hands it to `open`; the lock is the writer's from then on */
  private openIngest<W>(ref: string, open: (dir: string, data: string, lock: FileLock, resumed: boolean) => W): W {
    const dir = this.ingestPath(ref);
    ensureDir(dir);
    const lock = FileLock.tryAcquire(dir);
    if (!lock) throw new IngestLockedError(ref);
    try {
      const data = join(dir, "data");
      const resumed = existsSync(data);
      if (!resumed) {
        atomicWrite(join(dir, "ref"), ref);
        atomicWrite(join(dir, "startedat"), new Date().toISOString());
      }
      return open(dir, data, lock, resumed);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  async status(ref: string): Promise<IngestStatus | null> {
    return this.statusOf(this.ingestPath(ref));
  }

  async listIngests(): Promise<IngestStatus[]> {
    const out: IngestStatus[] = [];
    for (const name of readdirSync(this.ingestDir)) {
      const s = this.statusOf(join(this.ingestDir, name));
      if (s) out.push(s);
    }
    return out;
  }

  async abortIngest(ref: string): Promise<void> {
    const dir = this.ingestPath(ref);
    const lock = FileLock.tryAcquire(dir);
    if (!lock) {
      if (!existsSync(dir)) return;
      throw new IngestLockedError(ref);
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } finally {
      lock.release();
    }
  }

  /**
   * Removes ingests nobody holds whose data has not changed for `olderThanMs`: what a killed process left.
   * Returns the number removed. Live ingests keep their lock and are never touched.
   */
  removeStaleIngests(olderThanMs: number, now = Date.now()): number {
    let removed = 0;
    for (const name of safeReaddir(this.ingestDir)) {
      const dir = join(this.ingestDir, name);
      const s = this.statusOf(dir);
      if (s && now - s.updatedAt.getTime() < olderThanMs) continue;
      const lock = FileLock.tryAcquire(dir);
      if (!lock) continue;
      try {
        rmSync(dir, { recursive: true, force: true });
        removed++;
      } finally {
        lock.release();
      }
    }
    return removed;
  }

  ingestPath(ref: string): string {
    return join(this.ingestDir, new Bun.CryptoHasher("sha256").update(ref).digest("hex"));
  }

  private statusOf(dir: string): IngestStatus | null {
    try {
      const st = statSync(join(dir, "data"));
      const ref = readFileSync(join(dir, "ref"), "utf8");
      const started = new Date(readFileSync(join(dir, "startedat"), "utf8"));
      return { ref, offset: st.size, startedAt: started, updatedAt: st.mtime };
    } catch (err) {
      if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return null;
      throw err;
    }
  }

  /** moves a verified ingest into place; an existing blob (same digest, same bytes) wins */
  commitIngest(dir: string, digest: string): void {
    const target = this.blobPath(digest);
    if (existsSync(target)) return;
    const data = join(dir, "data");
    chmodSync(data, 0o444);
    renameSync(data, target);
    fsyncDir(this.blobsDir);
  }
}

class LocalWriter implements Writer {
  private done = false;

  constructor(
    private readonly store: LocalContentStore,
    private readonly dir: string,
    private fd: number,
    private readonly lock: FileLock,
    private readonly hasher: Bun.CryptoHasher,
    private pos: number,
  ) {}

  get offset(): number {
    return this.pos;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error("write after commit or abort");
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off, this.pos + off);
    this.hasher.update(chunk);
    this.pos += chunk.length;
  }

  async commit(expectedSize?: number, expectedDigest?: string): Promise<string> {
    if (this.done) throw new Error("commit after commit or abort");
    fsyncSync(this.fd);
    if (expectedSize !== undefined && expectedSize !== this.pos) {
      await this.abort();
      throw new SizeMismatchError(this.pos, expectedSize);
    }
    const digest = `sha256:${this.hasher.digest("hex")}`;
    if (expectedDigest !== undefined && expectedDigest !== digest) {
      await this.abort();
      throw new DigestMismatchError(digest, expectedDigest);
    }
    try {
      this.store.commitIngest(this.dir, digest);
    } finally {
      this.finish(true);
    }
    return digest;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.finish(true);
  }

  /** leaves the ingest on disk for a later writer(ref) to resume, and releases it */
  async close(): Promise<void> {
    if (this.done) return;
    this.finish(false);
  }

  private finish(removeIngest: boolean): void {
    this.done = true;
    closeSync(this.fd);
    this.fd = -1;
    try {
      if (removeIngest) rmSync(this.dir, { recursive: true, force: true });
    } finally {
      this.lock.release();
    }
  }
}

/** feeds the bytes already in a resumed ingest to the hasher; returns their count */
function rehash(path: string, hasher: Bun.CryptoHasher): number {
  const fd = openSync(path, C.O_RDONLY);
  try {
    const buf = Buffer.allocUnsafe(REHASH_CHUNK);
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, total);
      if (n === 0) return total;
      hasher.update(buf.subarray(0, n));
      total += n;
    }
  } finally {
    closeSync(fd);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
}
