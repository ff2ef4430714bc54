/**
 * Unpacked layers, keyed by OCI chain ID (containerd's snapshotter, overlay flavour). Each lives in
 * snapshots/<n>/fs with a short number n, so an overlay mount with many lower dirs stays under the
 * one-page limit of mount options. index.json maps chain ID -> {n, parent, size}.
 *
 * A layer is unpacked into snapshots/tmp-<rand>/fs while its directory is flocked; `commit` renames it to
 * <n> and only then records it in the index. A crash leaves a tmp dir (lock free) or an unrecorded <n>,
 * and `repair` removes both; a half-unpacked layer is never reachable by chain ID.
 */
import { closeSync, constants as C, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BunkerError } from "../errors.ts";
import { FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_TOPDIR_FL } from "../sys/constants.ts";
import { linuxSys } from "../sys/linux.ts";
import { atomicWrite, ensureDir, FileLock, fsyncDir, isErrno, TMP_SUFFIX } from "./_fs.ts";

export interface Mount {
  type: string;
  source: string;
  options: string[];
}

export interface SnapshotInfo {
  chainId: string;
  /** directory number under snapshots/ */
  n: number;
  parent?: string;
  /** bytes of the unpacked layer (this layer only) */
  size: number;
  created: string;
}

interface IndexFile {
  next: number;
  snapshots: Record<string, Omit<SnapshotInfo, "chainId">>;
}

export class SnapshotError extends BunkerError {
  constructor(message: string) {
    super(message);
    this.name = "SnapshotError";
  }
}

/** ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)) */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(nextChainId(out[out.length - 1], d));
  return out;
}

/** the chain ID of layer `diffId` on top of chain `parent` (OCI image spec: ChainID(L0|...|Ln)) */
export function nextChainId(parent: string | undefined, diffId: string): string {
  return parent === undefined ? diffId : `sha256:${new Bun.CryptoHasher("sha256").update(`${parent} ${diffId}`).digest("hex")}`;
}

/** a snapshot being unpacked: write into `dir`, then commit or abort */
export interface PreparedSnapshot {
  /** the directory to unpack into (becomes <n>/fs) */
  readonly dir: string;
  commit(chainId: string, size: number): Promise<SnapshotInfo>;
  abort(): void;
}

/**
 * Flags `dir` as the top of independent directory hierarchies (chattr +T) for ext4's Orlov allocator, so
 * each snapshot dir made in it goes to a block group of its own instead of next to its siblings. This
 * matters after a big delete (rmi, or a removed root): on ext4 without a journal the inode allocator
 * skips every inode deleted in the last ~30 s, scanning past them one by one in the group, so creating a
 * layer's files where the last one was just removed costs ~0.7 ms per file in kernel CPU (measured: a
 * 220 MB / 9k-file pull right after rm -rf of the previous root, 5.7 s -> 1.3 s). Best effort: other
 * filesystems do not know the flag (ENOTTY / EOPNOTSUPP) and nothing depends on it.
 */
function markTopDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
    const flags = new Int32Array(2);
    const buf = new Uint8Array(flags.buffer);
    const sys = linuxSys();
    sys.ioctl(fd, FS_IOC_GETFLAGS, buf);
    if (flags[0]! & FS_TOPDIR_FL) return;
    flags[0]! |= FS_TOPDIR_FL;
    sys.ioctl(fd, FS_IOC_SETFLAGS, buf);
  } catch {
    // not supported here: snapshots are placed as the filesystem likes
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

export class Snapshotter {
  private readonly indexPath: string;
  private readonly lockPath: string;
  private topDirMarked = false;

  constructor(readonly root: string) {
    ensureDir(root);
    this.indexPath = join(root, "index.json");
    this.lockPath = join(root, ".lock");
  }

  stat(chainId: string): SnapshotInfo | null {
    const s = this.readIndex().snapshots[chainId];
    return s ? { chainId, ...s } : null;
  }

  list(): SnapshotInfo[] {
    return Object.entries(this.readIndex().snapshots).map(([chainId, s]) => ({ chainId, ...s }));
  }

  /** the unpacked tree of a committed snapshot */
  fsPath(chainId: string): string {
    const s = this.stat(chainId);
    if (!s) throw new SnapshotError(`snapshot ${chainId} does not exist`);
    return join(this.root, String(s.n), "fs");
  }

  /** starts a snapshot on top of `parent` (a committed chain ID, or none for a base layer) */
  async prepare(parent?: string): Promise<PreparedSnapshot> {
    if (parent !== undefined && !this.stat(parent)) throw new SnapshotError(`parent snapshot ${parent} does not exist`);
    if (!this.topDirMarked) {
      this.topDirMarked = true;
      markTopDir(this.root);
    }
    const work = join(this.root, `tmp-${crypto.randomUUID().slice(0, 13)}`);
    mkdirSync(work, { mode: 0o700 });
    const lock = FileLock.tryAcquire(work);
    if (!lock) throw new SnapshotError(`cannot lock ${work}`);
    const dir = join(work, "fs");
    mkdirSync(dir, { mode: 0o755 });
    let finished = false;
    const finish = () => {
      finished = true;
      lock.release();
    };
    return {
      dir,
      commit: async (chainId, size) => {
        if (finished) throw new SnapshotError("snapshot already committed or aborted");
        try {
          return await this.commitWork(work, chainId, parent, size);
        } finally {
          finish();
          rmSync(work, { recursive: true, force: true });
        }
      },
      abort: () => {
        if (finished) return;
        finish();
        rmSync(work, { recursive: true, force: true });
      },
    };
  }

  private async commitWork(work: string, chainId: string, parent: string | undefined, size: number): Promise<SnapshotInfo> {
    const lock = await FileLock.acquire(this.lockPath);
    try {
      const index = this.readIndex();
      const existing = index.snapshots[chainId];
      // the same layer unpacked twice at once: the first commit wins, the second copy is dropped
      if (existing) return { chainId, ...existing };
      if (parent !== undefined && !index.snapshots[parent]) throw new SnapshotError(`parent snapshot ${parent} was removed`);
      let n = index.next;
      while (existsSync(join(this.root, String(n)))) n++;
      renameSync(work, join(this.root, String(n)));
      fsyncDir(this.root);
      const info = { n, ...(parent !== undefined ? { parent } : {}), size, created: new Date().toISOString() };
      index.snapshots[chainId] = info;
      index.next = n + 1;
      this.writeIndex(index);
      return { chainId, ...info };
    } finally {
      lock.release();
    }
  }

  /** removes a committed snapshot; refused while another snapshot is built on it */
  async remove(chainId: string): Promise<void> {
    const lock = await FileLock.acquire(this.lockPath);
    try {
      const index = this.readIndex();
      const s = index.snapshots[chainId];
      if (!s) throw new SnapshotError(`snapshot ${chainId} does not exist`);
      const child = Object.entries(index.snapshots).find(([, o]) => o.parent === chainId);
      if (child) throw new SnapshotError(`cannot remove snapshot ${chainId}: ${child[0]} is built on it`);
      delete index.snapshots[chainId];
      this.writeIndex(index);
      // renamed first so a crash during the slow rm leaves a dir repair knows to delete
      const doomed = join(this.root, `rm-${s.n}`);
      renameSync(join(this.root, String(s.n)), doomed);
      rmSync(doomed, { recursive: true, force: true });
    } finally {
      lock.release();
    }
  }

  /**
   * Mount descriptions for the tree ending in `chainId` (nothing is mounted here). Read-only: a bind of
   * the one layer, or overlay with lowerdir=top:...:bottom. With `rw`, overlay with upperdir and workdir.
   */
  mounts(chainId: string, rw?: { upperdir: string; workdir: string }): Mount[] {
    const lowers = this.lowerDirs(chainId);
    if (!rw && lowers.length === 1) return [{ type: "bind", source: lowers[0]!, options: ["ro", "rbind"] }];
    const options = rw ? [`lowerdir=${lowers.join(":")}`, `upperdir=${rw.upperdir}`, `workdir=${rw.workdir}`] : [`lowerdir=${lowers.join(":")}`];
    return [{ type: "overlay", source: "overlay", options }];
  }

  /** fs dirs of the chain, top layer first (overlay's lowerdir order) */
  lowerDirs(chainId: string): string[] {
    const index = this.readIndex();
    const dirs: string[] = [];
    for (let id: string | undefined = chainId; id !== undefined; ) {
      const s: IndexFile["snapshots"][string] | undefined = index.snapshots[id];
      if (!s) throw new SnapshotError(`snapshot ${id} does not exist`);
      dirs.push(join(this.root, String(s.n), "fs"));
      id = s.parent;
    }
    return dirs;
  }

  /**
   * Removes crash debris: tmp-* dirs nobody holds, rm-* leftovers, numbered dirs the index does not know,
   * stray temp files. Returns what was removed (names), for logs and tests.
   */
  async repair(): Promise<string[]> {
    const lock = await FileLock.acquire(this.lockPath);
    const removed: string[] = [];
    try {
      const known = new Set(Object.values(this.readIndex().snapshots).map((s) => String(s.n)));
      for (const name of readdirSync(this.root)) {
        const path = join(this.root, name);
        let doomed = name.startsWith("rm-") || name.endsWith(TMP_SUFFIX) || (/^\d+$/.test(name) && !known.has(name));
        if (name.startsWith("tmp-")) {
          const held = FileLock.tryAcquire(path);
          if (!held) continue;
          held.release();
          doomed = true;
        }
        if (!doomed) continue;
        rmSync(path, { recursive: true, force: true });
        removed.push(name);
      }
    } finally {
      lock.release();
    }
    return removed;
  }

  private readIndex(): IndexFile {
    try {
      return JSON.parse(readFileSync(this.indexPath, "utf8")) as IndexFile;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return { next: 1, snapshots: {} };
      throw new SnapshotError(`snapshot index ${this.indexPath} is unreadable: ${(err as Error).message}`);
    }
  }

  private writeIndex(index: IndexFile): void {
    atomicWrite(this.indexPath, JSON.stringify(index));
  }
}
