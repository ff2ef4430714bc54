import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyToStore, sha256Digest } from "../../src/image/content/copy.ts";
import { IngestWriteError } from "../../src/image/content/errors.ts";
import { LocalContentStore } from "../../src/image/content/local.ts";
import type { Writer } from "../../src/image/content/types.ts";
import { MemoryContentStore } from "../../src/image/content/memory.ts";
import { contentSuite } from "../helpers/content_suite.ts";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
function tempStore(): LocalContentStore {
  const dir = mkdtempSync(join(tmpdir(), "bunker-content-"));
  roots.push(dir);
  return new LocalContentStore(dir);
}

/** the local store with block writers for every ingest: they must pass the same suite */
class BlockWriterStore extends LocalContentStore {
  override async writer(ref: string): Promise<Writer> {
    return this.blockWriter(ref, { blockSize: 4096, blocks: 2 });
  }
}

contentSuite("local", tempStore);
contentSuite("local, block writer", () => new BlockWriterStore(tempStore().root));
contentSuite("memory", () => new MemoryContentStore());

describe("local content store on disk", () => {
  test("a committed blob is read-only at blobs/sha256/<hex> and its ingest is gone", async () => {
    const store = tempStore();
    const w = await store.writer("r");
    await w.write(new TextEncoder().encode("layer"));
    const dgst = await w.commit();
    const path = store.blobPath(dgst);
    expect(path).toBe(join(store.root, "blobs", "sha256", dgst.slice(7)));
    expect(statSync(path).mode & 0o777).toBe(0o444);
    expect(readdirSync(store.ingestDir)).toEqual([]);
  });

  test("stale ingests are removed only when old and not locked", async () => {
    const store = tempStore();
    const live = await store.writer("live");
    await live.write(new Uint8Array(10));
    const dead = await store.writer("dead");
    await dead.write(new Uint8Array(10));
    await (dead as unknown as { close(): Promise<void> }).close();
    const fresh = await store.writer("fresh");
    await (fresh as unknown as { close(): Promise<void> }).close();
    const old = new Date(Date.now() - 3600_000);
    for (const ref of ["live", "dead"]) utimesSync(join(store.ingestPath(ref), "data"), old, old);
    expect(store.removeStaleIngests(600_000)).toBe(1);
    expect((await store.listIngests()).map((s) => s.ref).sort()).toEqual(["fresh", "live"]);
    await live.abort();
  });

  test("an ingest written by another process resumes here", async () => {
    const store = tempStore();
    const data = new Uint8Array(300_000).map((_, i) => i * 7);
    const code = `
      const { LocalContentStore } = await import(${JSON.stringify(join(import.meta.dir, "../../src/image/content/local.ts"))});
      const s = new LocalContentStore(${JSON.stringify(store.root)});
      const w = await s.writer("xproc");
      await w.write(new Uint8Array(100_000).map((_, i) => i * 7));
      process.exit(0); // dies holding the ingest, like kill -9
    `;
    const p = Bun.spawnSync([process.execPath, "-e", code]);
    expect(p.exitCode).toBe(0);
    const w = await store.writer("xproc");
    expect(w.offset).toBe(100_000);
    const dgst = await copyToStore(w, new Blob([data]).stream(), { size: data.length, digest: sha256Digest(data) });
    expect(await store.readBytes(dgst)).toEqual(data);
  });
});

describe("block writer (threaded)", () => {
  const data = new Uint8Array((3 << 20) + 1000).map((_, i) => (i * 2654435761) >>> 24);

  async function giveAll(w: Awaited<ReturnType<LocalContentStore["blockWriter"]>>, bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length; ) {
      const b = await w.take();
      const n = Math.min(b.length, bytes.length - off);
      b.set(bytes.subarray(off, off + n));
      await w.give(b, n);
      off += n;
    }
  }

  for (const direct of [true, false]) {
    test(`blocks handed over are hashed and written in order (direct ${direct}, unaligned tail)`, async () => {
      const store = tempStore();
      const w = await store.blockWriter("blk", { blockSize: 1 << 20, blocks: 2, direct, syncEvery: 1 << 20 });
      await giveAll(w, data);
      expect(w.offset).toBe(data.length);
      const dgst = await w.commit(data.length, sha256Digest(data));
      expect(dgst).toBe(sha256Digest(data));
      expect(await store.readBytes(dgst)).toEqual(data);
      expect(statSync(store.blobPath(dgst)).mode & 0o777).toBe(0o444);
      expect(readdirSync(store.ingestDir)).toEqual([]);
    });
  }

  test("write() and blocks mix in order; a block not from take() is refused", async () => {
    const store = tempStore();
    const w = await store.blockWriter("mix", { blockSize: 65536 });
    await w.write(data.subarray(0, 1000));
    await giveAll(w, data.subarray(1000, 200_000));
    await w.write(data.subarray(200_000, 300_000));
    await expect(w.give(new Uint8Array(65536), 10)).rejects.toBeInstanceOf(RangeError);
    expect(await w.commit()).toBe(sha256Digest(data.subarray(0, 300_000)));
  });

  test("a write failure surfaces as IngestWriteError and the ingest is dropped", async () => {
    const store = tempStore();
    mkdirSync(join(store.ingestPath("bad"), "data"), { recursive: true }); // open(2) of the data fails: EISDIR
    const w = await store.blockWriter("bad", { blockSize: 4096 });
    const err = await (async () => {
      await giveAll(w, data.subarray(0, 100_000));
      return w.commit();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestWriteError);
    expect((err as IngestWriteError).errnoCode).toBe("EISDIR");
    await w.abort();
    expect(readdirSync(store.ingestDir)).toEqual([]);
  });
});
