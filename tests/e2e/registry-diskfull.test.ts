/**
 * Disk full during a pull: the root is a small tmpfs. The pull must fail with one clear line, leave no
 * partial image, give the space back, and succeed once the filesystem is bigger.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxFiles, makeTestImage } from "../helpers/registry-image.ts";
import { runBunker, startRegistry, type TestRegistry } from "../helpers/registry.ts";

let reg: TestRegistry;
let tmp: string;
const used = (p: string) => {
  const s = statfsSync(p);
  return (s.blocks - s.bfree) * s.bsize;
};
const sh = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
};

beforeAll(async () => {
  reg = await startRegistry();
  tmp = mkdtempSync(join(tmpdir(), "bunker-e2e-diskfull-"));
});
afterAll(async () => {
  await reg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("disk full: one line, nothing partial, space given back, retry on a bigger root works", async () => {
  const name = `${reg.host}/full/big:v1`;
  const rnd = crypto.getRandomValues(new Uint8Array(6_000_000));
  await makeTestImage(join(tmp, "src"), name, { layers: [busyboxFiles(), { "data/random": rnd }] });
  expect((await runBunker(join(tmp, "src"), ["push", name])).code).toBe(0);

  const root = join(tmp, "small");
  mkdirSync(root);
  sh(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", root]);
  try {
    const before = used(root);
    const r = await runBunker(root, ["pull", name]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`failed to pull ${name}: no space left on device`);
    expect(readdirSync(join(root, "images")).filter((f) => f.endsWith(".json"))).toEqual([]);
    expect(readdirSync(join(root, "content", "blobs", "sha256"))).toEqual([]);
    expect(readdirSync(join(root, "content", "ingest"))).toEqual([]);
    // a few small index/lock files may remain; the megabytes must be back
    expect(used(root) - before).toBeLessThan(64 * 1024);

    sh(["mount", "-o", "remount,size=64m", root]);
    const ok = await runBunker(root, ["pull", name]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Status: Downloaded newer image for ${name}`);
  } finally {
    Bun.spawnSync(["umount", root]);
  }
});
