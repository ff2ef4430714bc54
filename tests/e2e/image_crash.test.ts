/**
 * kill -9 during `import` of a 200 MB tar, at several moments: afterwards either the whole image is
 * there or none of it is listed, and the next command removes the debris (ingests, tmp snapshots, temp
 * files, blobs of the dead import).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { bunker, makeTempRoot, spawnBunker, tarDirectoryWithGnuTar, type TempRoot } from "../helpers/fixture.ts";

const SIZE = 200_000_000;
let t: TempRoot;
let bigTar: string;

beforeAll(() => {
  t = makeTempRoot("bunker-crash-");
  const src = join(t.dir, "src");
  mkdirSync(src);
  // random bytes: nothing compresses, so every phase of the import takes a measurable time
  Bun.spawnSync(["sh", "-c", `head -c ${SIZE} /dev/urandom > ${join(src, "random.bin")}`]);
  Bun.spawnSync(["sh", "-c", `echo small > ${join(src, "small.txt")}`]);
  bigTar = tarDirectoryWithGnuTar(src, join(t.dir, "big.tar"));
});
afterAll(() => t?.cleanup());

const run = (args: string[]) => bunker(args, t);
const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

function debris(): string[] {
  const out: string[] = [];
  for (const n of list(join(t.root, "content/ingest"))) out.push(`ingest/${n}`);
  for (const n of list(join(t.root, "snapshots"))) if (n.startsWith("tmp-") || n.startsWith("rm-") || n.endsWith(".tmp")) out.push(`snapshots/${n}`);
  for (const n of list(join(t.root, "images"))) if (n.endsWith(".tmp")) out.push(`images/${n}`);
  for (const n of list(join(t.root, "leases"))) if (n.endsWith(".lease")) out.push(`leases/${n}`);
  return out;
}

/** blobs and snapshots exist only for images that are listed */
function storeIsClean(listed: boolean): void {
  const blobs = list(join(t.root, "content/blobs/sha256"));
  const snaps = list(join(t.root, "snapshots")).filter((n) => /^\d+$/.test(n));
  const index = existsSync(join(t.root, "snapshots/index.json")) ? JSON.parse(readFileSync(join(t.root, "snapshots/index.json"), "utf8")) : { snapshots: {} };
  if (listed) {
    expect(blobs).toHaveLength(3); // layer, config, manifest
    expect(snaps).toHaveLength(1);
    expect(Object.keys(index.snapshots)).toHaveLength(1);
  } else {
    expect(blobs).toEqual([]);
    expect(snaps).toEqual([]);
    expect(Object.keys(index.snapshots)).toEqual([]);
  }
}

test("a full import of a 200 MB tar (speed measured)", async () => {
  const start = performance.now();
  const r = await run(["import", bigTar, "big"]);
  const secs = (performance.now() - start) / 1000;
  expect(r.code).toBe(0);
  console.log(`import of ${(statSync(bigTar).size / 1e6).toFixed(0)} MB tar: ${secs.toFixed(2)} s, ${(statSync(bigTar).size / 1e6 / secs).toFixed(0)} MB/s (CLI startup included)`);
  expect((await run(["images", "-q", "big"])).stdout).toMatch(/^[a-f0-9]{12}\n$/);
  expect((await run(["rmi", "big"])).code).toBe(0);
  storeIsClean(false);
}, 120_000);

test("kill -9 while the layer streams in: nothing listed, debris cleaned by the next command", async () => {
  const p = spawnBunker(["import", bigTar, "big"], t);
  // wait until the layer is partly written, then kill
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ingests = list(join(t.root, "content/ingest"));
    const written = ingests.reduce((n, d) => n + (existsSync(join(t.root, "content/ingest", d, "data")) ? statSync(join(t.root, "content/ingest", d, "data")).size : 0), 0);
    if (written > 20_000_000 || Date.now() > deadline) break;
    await Bun.sleep(5);
  }
  p.kill("SIGKILL");
  await p.exited;
  expect(debris().length).toBeGreaterThan(0); // the crash did leave something behind
  const r = await run(["images"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n$/);
  expect(debris()).toEqual([]);
  storeIsClean(false);
}, 120_000);

test("kill -9 at many moments: the image is whole or absent, never half", async () => {
  const full = await (async () => {
    const s = performance.now();
    await run(["import", bigTar, "probe"]);
    const ms = performance.now() - s;
    await run(["rmi", "probe"]);
    return ms;
  })();
  for (const frac of [0.3, 0.6, 0.8, 0.9, 0.95, 1.0]) {
    const p = spawnBunker(["import", bigTar, "big"], t);
    await Bun.sleep(full * frac);
    p.kill("SIGKILL");
    await p.exited;
    const r = await run(["images", "--format", "{{.Repository}}"]);
    const listed = r.stdout === "big\n";
    expect(r.stdout === "" || listed).toBe(true);
    expect(debris()).toEqual([]);
    storeIsClean(listed);
    if (listed) {
      const img = JSON.parse((await run(["image", "inspect", "big"])).stdout)[0];
      expect(img.Size).toBeGreaterThanOrEqual(SIZE);
      expect((await run(["rmi", "big"])).code).toBe(0);
    }
  }
  storeIsClean(false);
}, 300_000);
