/**
 * The image store as one object: content (blobs), snapshots (unpacked layers), the name index, and the
 * locks that keep them consistent across bunker processes.
 *
 * Locks: work that adds content (import, pull) holds a *lease*: the gc lock shared plus a lease file.
 * Work that deletes (rmi, prune, repair) holds the gc lock exclusively, so it never removes a blob or
 * snapshot that an unfinished import is about to reference. Opening the store runs `repair` when no lease
 * is live: it removes what killed processes left (ingests, tmp snapshots, temp files) and, when a dead
 * lease shows an import died after committing some blobs, sweeps everything no image references.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../config.ts";
import { atomicWrite, ensureDir, FileLock } from "./_fs.ts";
import { parseImageConfig, type ImageConfig } from "./config.ts";
import { LocalContentStore } from "./content/local.ts";
import type { Descriptor } from "./content/types.ts";
import { danglingName, ImageIndex, isDangling, type ImageRecord } from "./index.ts";
import { layerCompression, parseManifest, type Manifest } from "./manifest.ts";
import { chainIds, Snapshotter } from "./snapshots.ts";

/** annotation on a name's target recording the registry digest it was pulled by (RepoDigests) */
export const REPO_DIGEST_ANNOTATION = "io.bunker.repo-digest";

/** ingests no one will resume (import streams, small documents): removed as soon as their lock is free */
const ONE_SHOT_INGEST = /^(import|bytes)-/;
/** other ingests (pulls) may be resumed; they are kept this long after their last write */
const RESUMABLE_INGEST_TTL_MS = 30 * 60_000;

export interface Image {
  /** image ID: the config digest */
  id: string;
  manifestDesc: Descriptor;
  manifest: Manifest;
  /**
   * every manifest its records point at, by digest (one, unless a push switched the image's tags to
   * gzip layers while a digest name keeps the manifest it names: see retarget)
   */
  manifests: Map<string, Manifest>;
  config: ImageConfig;
  /** names and dangling records pointing at this image */
  records: ImageRecord[];
  chainIds: string[];
}

export interface RepairReport {
  ingests: number;
  snapshots: string[];
  temps: string[];
  swept: { blobs: string[]; snapshots: string[] };
  skipped: boolean;
}

export interface Lease {
  /** the work finished: its content is referenced (or never existed) */
  release(): void;
  /** the work failed: the lease file stays, so the next repair sweeps what it committed */
  releaseLock(): void;
}

export class ImageStore {
  readonly content: LocalContentStore;
  readonly snapshots: Snapshotter;
  readonly index: ImageIndex;
  private readonly gcLockPath: string;
  private readonly leaseDir: string;
  private docs = new Map<string, { manifest?: Manifest; config?: ImageConfig }>();

  constructor(readonly root: string) {
    this.content = new LocalContentStore(join(root, "content"));
    this.snapshots = new Snapshotter(join(root, "snapshots"));
    this.index = new ImageIndex(join(root, "images"));
    this.leaseDir = join(root, "leases");
    this.gcLockPath = join(this.leaseDir, ".gc.lock");
    ensureDir(this.leaseDir);
  }

  /**
   * The store under `root`, crash debris repaired when it is safe to. `repair: false` is for readers on a hot path (run's
   * image lookup): debris never changes what the index and the finished snapshots say, and whoever
   * writes next (an unpack included) repairs first.
   */
  static async open(root = paths().root, opts: { repair?: boolean } = {}): Promise<ImageStore> {
    const store = new ImageStore(root);
    if (opts.repair !== false) await store.repair();
    return store;
  }

  /** keeps deleters (rmi, prune, repair) away while content is being added; release when done */
  async lease(purpose: string): Promise<Lease> {
    const gc = await FileLock.acquire(this.gcLockPath, { shared: true, timeoutMs: 600_000 });
    const file = join(this.leaseDir, `${Date.now()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}.lease`);
    atomicWrite(file, purpose);
    return {
      release: () => {
        rmSync(file, { force: true });
        gc.release();
      },
      releaseLock: () => gc.release(),
    };
  }

  /** runs a deleting operation with no lease live anywhere */
  async exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const gc = await FileLock.acquire(this.gcLockPath, { timeoutMs: 600_000 });
    try {
      return await fn();
    } finally {
      gc.release();
    }
  }

  /** Removes crash debris. Skipped (cheaply) while any lease is live: that work may still need it. */
  async repair(): Promise<RepairReport> {
    const report: RepairReport = { ingests: 0, snapshots: [], temps: [], swept: { blobs: [], snapshots: [] }, skipped: true };
    const gc = FileLock.tryAcquire(this.gcLockPath);
    if (!gc) return report;
    try {
      report.skipped = false;
      const now = Date.now();
      for (const s of await this.content.listIngests()) {
        if (!ONE_SHOT_INGEST.test(s.ref) && now - s.updatedAt.getTime() < RESUMABLE_INGEST_TTL_MS) continue;
        const lock = FileLock.tryAcquire(this.content.ingestPath(s.ref));
        if (!lock) continue;
        rmSync(this.content.ingestPath(s.ref), { recursive: true, force: true });
        lock.release();
        report.ingests++;
      }
      report.ingests += this.content.removeStaleIngests(RESUMABLE_INGEST_TTL_MS, now);
      report.snapshots = await this.snapshots.repair();
      report.temps = await this.index.withLock(() => this.index.removeStrayTemps());
      const dead = readdirSync(this.leaseDir).filter((f) => f.endsWith(".lease"));
      if (dead.length) {
        report.swept = await this.sweep();
        for (const f of dead) rmSync(join(this.leaseDir, f), { force: true });
      }
    } finally {
      gc.release();
    }
    return report;
  }

  /** Deletes every blob and snapshot no image references. Caller holds `exclusive`. */
  async sweep(): Promise<{ blobs: string[]; snapshots: string[] }> {
    const keepBlobs = new Set<string>();
    const keepChains = new Set<string>();
    for (const img of await this.images()) {
      for (const d of this.blobsOf(img)) keepBlobs.add(d);
      for (const c of img.chainIds) keepChains.add(c);
    }
    const blobs: string[] = [];
    for (const b of await this.content.list()) {
      if (keepBlobs.has(b.digest)) continue;
      await this.content.delete(b.digest).catch(() => {});
      blobs.push(b.digest);
    }
    return { blobs, snapshots: await this.removeSnapshots(this.snapshots.list().map((s) => s.chainId).filter((c) => !keepChains.has(c))) };
  }

  /** removes the given snapshots, children before parents; returns the chain IDs removed */
  async removeSnapshots(chains: string[]): Promise<string[]> {
    const removed: string[] = [];
    const pending = new Set(chains);
    while (pending.size) {
      const all = this.snapshots.list();
      const leaves = [...pending].filter((c) => !all.some((s) => s.parent === c));
      if (!leaves.length) break; // a child outside `chains` still needs them
      for (const c of leaves) {
        pending.delete(c);
        if (!all.some((s) => s.chainId === c)) continue;
        await this.snapshots.remove(c);
        removed.push(c);
      }
    }
    return removed;
  }

  /** digests of the blobs an image needs: its manifests, config, layers, and the index it was pulled by */
  blobsOf(img: Image): string[] {
    const out = [img.manifestDesc.digest, img.manifest.config.digest, ...img.manifest.layers.map((l) => l.digest)];
    for (const [digest, m] of img.manifests) out.push(digest, ...m.layers.map((l) => l.digest));
    for (const r of img.records) {
      const pulledBy = r.target.annotations?.[REPO_DIGEST_ANNOTATION]?.split("@")[1];
      if (pulledBy) out.push(pulledBy);
    }
    return out;
  }

  async manifest(digest: string): Promise<Manifest> {
    const e = this.docs.get(digest) ?? {};
    e.manifest ??= parseManifest(await this.content.readBytes(digest));
    this.docs.set(digest, e);
    return e.manifest;
  }

  async config(digest: string): Promise<ImageConfig> {
    const e = this.docs.get(digest) ?? {};
    e.config ??= parseImageConfig(await this.content.readBytes(digest));
    this.docs.set(digest, e);
    return e.config;
  }

  /** every image with at least one record, grouped by image ID; records whose blobs are gone are skipped */
  async images(): Promise<Image[]> {
    const byId = new Map<string, Image>();
    for (const r of this.index.list()) {
      let manifest: Manifest;
      let config: ImageConfig;
      try {
        manifest = await this.manifest(r.target.digest);
        config = await this.config(manifest.config.digest);
      } catch {
        continue;
      }
      const id = manifest.config.digest;
      const img: Image = byId.get(id) ?? { id, manifestDesc: r.target, manifest, manifests: new Map(), config, records: [], chainIds: chainIds(config.rootfs.diff_ids) };
      img.records.push(r);
      img.manifests.set(r.target.digest, manifest);
      // where a push left two manifests, the image is its compressed one (what tag and save by ID use)
      if (r.target.digest !== img.manifestDesc.digest && hasPlainLayer(img.manifest) && !hasPlainLayer(manifest)) {
        img.manifestDesc = r.target;
        img.manifest = manifest;
      }
      byId.set(id, img);
    }
    return [...byId.values()];
  }

  /** unpacked size: the sum of the layers' snapshots (what Docker reports as Size) */
  sizeOf(img: Image): number {
    let total = 0;
    img.chainIds.forEach((c, i) => {
      total += this.snapshots.stat(c)?.size ?? img.manifest.layers[i]?.size ?? 0;
    });
    return total;
  }

  /**
   * Points `name` at `target` under the index lock. An image that loses its last name this way is kept as
   * dangling (<none>:<none>), and an image that gains a name stops being dangling.
   */
  async setName(name: string, target: Descriptor): Promise<ImageRecord | null> {
    return this.index.withLock(() => {
      const old = this.index.put(name, target);
      this.index.delete(danglingName(target.digest));
      if (old && old.target.digest !== target.digest && !this.index.list().some((r) => r.target.digest === old.target.digest)) {
        this.index.put(danglingName(old.target.digest), old.target);
      }
      return old;
    });
  }

  /**
   * Points every name whose target is manifest `from` at `to` (same config, so the same image), keeping
   * each record's times and annotations: the push that compressed an image's plain-tar layers records
   * the result this way. Digest names keep their manifest (a digest names exactly one), and so do
   * dangling records. Under the index lock; each record is one atomic write, so a crash between two
   * leaves every name on a complete image. Returns the names moved.
   */
  async retarget(from: string, to: Descriptor): Promise<string[]> {
    return this.index.withLock(() => {
      const moved: string[] = [];
      for (const r of this.index.list()) {
        if (r.target.digest !== from || isDangling(r.name) || r.name.includes("@")) continue;
        this.index.replaceTarget(r, { ...to, ...(r.target.annotations ? { annotations: r.target.annotations } : {}) });
        moved.push(r.name);
      }
      return moved;
    });
  }

  /**
   * Deletes those of `candidates` that no image references, if no lease is live anywhere (tries the gc
   * lock without waiting). Returns false when it could not run: a later repair's sweep has to.
   */
  async collect(candidates: Iterable<string>): Promise<boolean> {
    const gc = FileLock.tryAcquire(this.gcLockPath);
    if (!gc) return false;
    try {
      const keep = new Set((await this.images()).flatMap((i) => this.blobsOf(i)));
      for (const d of new Set(candidates)) {
        if (!keep.has(d)) await this.content.delete(d).catch(() => {});
      }
      return true;
    } finally {
      gc.release();
    }
  }

  /** records an image that has no name (import without a repository) */
  async addDangling(target: Descriptor): Promise<void> {
    await this.index.withLock(() => {
      if (!this.index.list().some((r) => r.target.digest === target.digest)) this.index.put(danglingName(target.digest), target);
    });
  }
}

export { isDangling };

function hasPlainLayer(m: Manifest): boolean {
  return m.layers.some((l) => layerCompression(l.mediaType) === "none");
}
