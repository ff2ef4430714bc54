/**
 * The image index: name -> manifest descriptor, one small JSON file per name under images/, named by
 * sha256 of the name (any reference fits in a file name that way). Each file is written atomically, so
 * an image becomes visible in one step, after its blobs and snapshots exist: a killed import never shows
 * up half made. Read-modify-write sequences (tag, untag, import over an existing name) run under
 * `withLock`.
 *
 * Names are canonical references ("docker.io/library/busybox:latest", "...@sha256:..."). An image that
 * lost its last name keeps a "dangling@<manifest digest>" record so it still lists as <none>:<none>,
 * like Docker.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite, ensureDir, FileLock, fsyncDir, isErrno, TMP_SUFFIX } from "./_fs.ts";
import type { Descriptor } from "./content/types.ts";

export interface ImageRecord {
  /** canonical reference, or "dangling@<manifest digest>" */
  name: string;
  /** the manifest */
  target: Descriptor;
  /** when the record was first written */
  createdAt: string;
  /** when the name was last pointed at this target (Docker's Metadata.LastTagTime) */
  updatedAt: string;
}

const DANGLING = "dangling@";

export function danglingName(manifestDigest: string): string {
  return DANGLING + manifestDigest;
}

export function isDangling(name: string): boolean {
  return name.startsWith(DANGLING);
}

export class ImageIndex {
  private readonly lockPath: string;

  constructor(readonly root: string) {
    ensureDir(root);
    this.lockPath = join(root, ".lock");
  }

  get(name: string): ImageRecord | null {
    try {
      return JSON.parse(readFileSync(this.fileOf(name), "utf8")) as ImageRecord;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return null;
      throw err;
    }
  }

  list(): ImageRecord[] {
    const out: ImageRecord[] = [];
    for (const f of readdirSync(this.root)) {
      if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.root, f), "utf8")) as ImageRecord);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err; // removed while we listed
      }
    }
    return out;
  }

  /** points `name` at `target`; returns the record it replaced, if any */
  put(name: string, target: Descriptor, now = new Date()): ImageRecord | null {
    const old = this.get(name);
    const record: ImageRecord = {
      name,
      target: { mediaType: target.mediaType, digest: target.digest, size: target.size, ...(target.annotations ? { annotations: target.annotations } : {}) },
      createdAt: old?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    };
    atomicWrite(this.fileOf(name), JSON.stringify(record));
    return old;
  }

  /** points an existing record at another manifest of the same image, keeping its times (not a re-tag) */
  replaceTarget(record: ImageRecord, target: Descriptor): void {
    const t = { mediaType: target.mediaType, digest: target.digest, size: target.size, ...(target.annotations ? { annotations: target.annotations } : {}) };
    atomicWrite(this.fileOf(record.name), JSON.stringify({ ...record, target: t }));
  }

  delete(name: string): boolean {
    try {
      rmSync(this.fileOf(name));
      fsyncDir(this.root);
      return true;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return false;
      throw err;
    }
  }

  /** runs `fn` holding the index lock (other bunker processes wait) */
  async withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    const lock = await FileLock.acquire(this.lockPath);
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  /** removes temp files of writes that never finished; the caller holds the lock */
  removeStrayTemps(): string[] {
    const removed: string[] = [];
    for (const f of readdirSync(this.root)) {
      if (!f.endsWith(TMP_SUFFIX)) continue;
      rmSync(join(this.root, f), { force: true });
      removed.push(f);
    }
    return removed;
  }

  private fileOf(name: string): string {
    return join(this.root, `${new Bun.CryptoHasher("sha256").update(name).digest("hex")}.json`);
  }
}
