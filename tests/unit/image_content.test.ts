import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyToStore, sha256Digest } from "../../src/image/content/copy.ts";
import { LocalContentStore } from "../../src/image/content/local.ts";
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

contentSuite("local", tempStore);
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
