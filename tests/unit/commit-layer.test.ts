/**
 * The commit packer (engine/commit/layer.ts): the tar it packs into blocks is byte for byte the tar
 * module's diffOverlayTar of the same upper dir, whatever the block size and whether it is read as
 * blocks or as a stream; files that change size after the scan keep the tar consistent.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { linkSync, mkdirSync, symlinkSync, truncateSync, utimesSync, writeFileSync, chmodSync, appendFileSync } from "node:fs";
import { packLayer, layerStream, type BlockSink } from "../../src/engine/commit/layer.ts";
import { scanUpper } from "../../src/engine/diff.ts";
import { diffOverlayTar } from "../../src/image/tar/diff.ts";
import { makeOverlayWhiteout, setOpaqueDir } from "../../src/image/tar/whiteout.ts";
import { linuxSys } from "../../src/sys/index.ts";
import { collect, listTar, once, rmrf, run, tempDir } from "./tar-helpers.ts";

const sys = linuxSys();
const root = process.getuid?.() === 0;
const dirs: string[] = [];
afterAll(() => rmrf(...dirs));

function bytes(n: number, seed: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => ((i + seed) * 2654435761) >>> 24);
}

/** an upper dir with every kind of entry and the body sizes around block and record edges */
function upperDir(): string {
  const d = tempDir("commit-pack");
  dirs.push(d);
  mkdirSync(`${d}/data/deep/er`, { recursive: true });
  for (const n of [0, 1, 511, 512, 513, 1023, 1024, 70_000, (1 << 20) + 5]) writeFileSync(`${d}/data/f${n}`, bytes(n, n));
  writeFileSync(`${d}/data/deep/er/x`, "x");
  writeFileSync(`${d}/data/ünï`, "name in UTF-8");
  chmodSync(`${d}/data/f1`, 0o4711);
  symlinkSync("f1", `${d}/data/link`);
  linkSync(`${d}/data/f513`, `${d}/data/hard`);
  run(["mkfifo", `${d}/data/fifo`]);
  utimesSync(`${d}/data/f0`, new Date("2030-01-01"), new Date("2030-01-01")); // clamped
  if (root) {
    mkdirSync(`${d}/opq`);
    writeFileSync(`${d}/opq/new`, "new");
    setOpaqueDir(sys, `${d}/opq`);
    makeOverlayWhiteout(sys, `${d}/gone`);
  }
  return d;
}

/** a sink with `size`-byte blocks that keeps a copy of what it is given (blocks are reused, as a writer's) */
function memorySink(size: number): BlockSink & { out: () => Uint8Array } {
  const blocks: Uint8Array[] = [new Uint8Array(size), new Uint8Array(size)];
  const parts: Uint8Array[] = [];
  return {
    take: async () => blocks.pop()!.fill(0xaa) as Uint8Array, // garbage in reused blocks must not reach the tar
    give: async (b, n) => {
      parts.push(b.slice(0, n));
      blocks.push(b);
    },
    out: () => Buffer.concat(parts),
  };
}

const clamp = Math.floor(Date.parse("2024-01-01") / 1000);

describe("commit layer packer", () => {
  test("the same bytes as diffOverlayTar, for any block size, as blocks or as a stream", async () => {
    const d = upperDir();
    const want = await collect(diffOverlayTar(d, { mtime: { clamp }, sys }));
    const { items } = scanUpper(d, [], sys);
    for (const size of [1024, 4608, 1 << 20]) {
      const sink = memorySink(size);
      const n = await packLayer(items, { mtime: { clamp }, sys }, sink);
      expect(n).toBe(want.length);
      expect(Buffer.compare(sink.out(), want)).toBe(0);
    }
    const streamed = new Uint8Array(await new Response(layerStream(items, { mtime: { clamp }, sys }, 3000)).arrayBuffer());
    expect(Buffer.compare(streamed, want)).toBe(0);
    const names = (await listTar(once(want))).map((l) => l.entry.name);
    expect(names).toContain("data/hard");
    if (root) expect(names).toEqual(expect.arrayContaining([".wh.gone", "opq/.wh..wh..opq"]));
  });

  test("a file that shrank or grew after the scan: zeros or a cut, the header's size either way", async () => {
    const d = upperDir();
    const { items } = scanUpper(d, [], sys);
    truncateSync(`${d}/data/f70000`, 100);
    appendFileSync(`${d}/data/f513`, "more");
    const sink = memorySink(4096);
    await packLayer(items, { mtime: { clamp }, sys }, sink);
    const listed = await listTar(once(sink.out()), true);
    const body = (name: string) => listed.find((l) => l.entry.name === name)!.body!;
    expect(body("data/f70000").length).toBe(70_000);
    expect(body("data/f70000").subarray(0, 100)).toEqual(bytes(70_000, 70_000).subarray(0, 100));
    expect(body("data/f70000").subarray(100).every((b) => b === 0)).toBe(true);
    expect(body("data/f513")).toEqual(bytes(513, 513));
  });

  test("a failing sink stops the packing with its error", async () => {
    const d = upperDir();
    const { items } = scanUpper(d, [], sys);
    const sink: BlockSink = { take: async () => new Uint8Array(4096), give: async () => Promise.reject(new Error("disk full")) };
    await expect(packLayer(items, { mtime: { clamp }, sys }, sink)).rejects.toThrow("disk full");
  });
});
