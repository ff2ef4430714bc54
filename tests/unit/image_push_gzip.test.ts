/**
 * Push's plain-tar -> gzip conversion on a real on-disk store, without a registry: the compression is
 * deterministic and verified, the result is recorded by moving tags to a gzip manifest (digest names and
 * times kept), a store with both manifests (a crash between two tag writes) keeps every blob either
 * needs, and only what nothing references is collected.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GzipLayers } from "../../src/engine/distribution/gzip-layers.ts";
import { parseManifest } from "../../src/engine/distribution/documents.ts";
import { partsOf } from "../../src/engine/distribution/stores.ts";
import { serializeImageConfig } from "../../src/image/config.ts";
import { CorruptBlobError, gzipBlob } from "../../src/image/compress.ts";
import { putBytes, sha256Digest } from "../../src/image/content/copy.ts";
import type { Descriptor } from "../../src/image/content/types.ts";
import { danglingName } from "../../src/image/index.ts";
import { MediaType, ociManifest } from "../../src/image/manifest.ts";
import { ImageStore } from "../../src/image/store.ts";
import { layerTar } from "../helpers/registry-image.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function store(): ImageStore {
  const d = mkdtempSync(join(tmpdir(), "bunker-pushgz-"));
  dirs.push(d);
  return new ImageStore(d);
}

/** a few MB that compress (text) and some that do not (random), so both kinds of gzip member occur */
function bigTar(seed: string): Uint8Array {
  const rnd = new Uint8Array(3 << 20);
  for (let i = 0; i < rnd.length; i += 65536) crypto.getRandomValues(rnd.subarray(i, i + 65536));
  return layerTar({ "data/text": `${seed}\n`.repeat(400_000), "data/random": rnd });
}

/** a one- or two-layer image with plain-tar layers (OCI types), named `names` */
async function plainImage(s: ImageStore, tars: Uint8Array[], names: string[]): Promise<{ target: Descriptor; id: string; layers: Descriptor[] }> {
  const layers: Descriptor[] = [];
  for (const t of tars) layers.push({ mediaType: MediaType.ociLayer, digest: await putBytes(s.content, t), size: t.length });
  const cfg = serializeImageConfig({ architecture: "amd64", os: "linux", created: "2024-01-01T00:00:00Z", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } });
  const id = await putBytes(s.content, cfg);
  const m = ociManifest({ mediaType: MediaType.ociConfig, digest: id, size: cfg.length }, layers);
  const target = { mediaType: MediaType.ociManifest, digest: await putBytes(s.content, m), size: m.length };
  for (const n of names) await s.setName(n, target);
  return { target, id, layers };
}

const blobs = (s: ImageStore) => readdirSync(s.content.blobsDir).sort();

describe("gzipBlob", () => {
  test("deterministic, a valid (multi-member) gzip of the tar, stored verified", async () => {
    const s = store();
    const tar = bigTar("det");
    const digest = await putBytes(s.content, tar);
    const a = await gzipBlob(s.content, digest);
    const again = store();
    const b = await gzipBlob(again.content, await putBytes(again.content, tar));
    expect(b).toEqual(a);
    const gz = await s.content.readBytes(a.digest);
    expect(sha256Digest(gz)).toBe(a.digest);
    expect(gz.length).toBe(a.size);
    expect(gz.length).toBeLessThan(tar.length);
    // GNU gzip is the independent judge of the format
    const g = Bun.spawnSync(["gzip", "-dc"], { stdin: gz });
    expect(g.exitCode).toBe(0);
    expect(sha256Digest(new Uint8Array(g.stdout))).toBe(digest);
    expect(readdirSync(s.content.ingestDir)).toEqual([]);
  });

  test("a rotted plain blob is refused and leaves nothing", async () => {
    const s = store();
    const tar = layerTar({ "etc/x": "x\n".repeat(1000) });
    const digest = await putBytes(s.content, tar);
    const p = s.content.blobPath(digest);
    chmodSync(p, 0o644);
    writeFileSync(p, layerTar({ "etc/x": "y\n".repeat(1000) }));
    const before = blobs(s);
    await expect(gzipBlob(s.content, digest)).rejects.toBeInstanceOf(CorruptBlobError);
    expect(blobs(s)).toEqual(before);
    expect(readdirSync(s.content.ingestDir)).toEqual([]);
  });
});

describe("recording the conversion", () => {
  test("tags move to the gzip manifest (same image ID, times and annotations kept); digest names stay", async () => {
    const s = store();
    const img = await plainImage(s, [bigTar("a"), layerTar({ "etc/b": "b\n" })], ["example.com/a:1", "example.com/a:2"]);
    const pulledBy = { "io.bunker.repo-digest": `example.com/a@${img.target.digest}` };
    s.index.put(`example.com/a@${img.target.digest}`, { ...img.target, annotations: pulledBy });
    s.index.put("example.com/a:2", { ...img.target, annotations: pulledBy });
    const before = s.index.get("example.com/a:1")!;
    const parts = partsOf(s);
    const conv = parts.conversions!;
    const bytes = await s.content.readBytes(img.target.digest);
    const gz = new GzipLayers(parseManifest(bytes), conv, s.content);
    const out = await gz.record(img.target, bytes);
    const m = parseManifest(out.bytes);
    expect(m.config.digest).toBe(img.id);
    expect(m.layers.map((l) => l.mediaType)).toEqual([MediaType.ociLayerGzip, MediaType.ociLayerGzip]);
    expect(sha256Digest(out.bytes)).toBe(out.desc.digest);
    const after = s.index.get("example.com/a:1")!;
    expect(after.target.digest).toBe(out.desc.digest);
    expect(after.createdAt).toBe(before.createdAt);
    expect(after.updatedAt).toBe(before.updatedAt);
    expect(s.index.get("example.com/a:2")!.target).toEqual({ ...out.desc, annotations: pulledBy });
    expect(s.index.get(`example.com/a@${img.target.digest}`)!.target.digest).toBe(img.target.digest);

    // one image, two manifests: both are kept while the digest name needs the old one
    const [one, ...rest] = await s.images();
    expect(rest).toEqual([]);
    expect(one!.id).toBe(img.id);
    expect(one!.manifestDesc.digest).toBe(out.desc.digest);
    expect([...one!.manifests.keys()].sort()).toEqual([img.target.digest, out.desc.digest].sort());
    expect(await s.collect(conv.garbage)).toBe(true);
    for (const d of [img.target.digest, ...img.layers.map((l) => l.digest), out.desc.digest, ...m.layers.map((l) => l.digest)]) {
      expect(existsSync(s.content.blobPath(d))).toBe(true);
    }
    // without it the plain layers are garbage; the old manifest stays only as the document a:2 was pulled by
    s.index.delete(`example.com/a@${img.target.digest}`);
    expect(await s.collect(conv.garbage)).toBe(true);
    for (const d of img.layers.map((l) => l.digest)) expect(existsSync(s.content.blobPath(d))).toBe(false);
    expect(existsSync(s.content.blobPath(img.target.digest))).toBe(true);
    s.index.replaceTarget(s.index.get("example.com/a:2")!, out.desc);
    expect(await s.collect(conv.garbage)).toBe(true);
    expect(existsSync(s.content.blobPath(img.target.digest))).toBe(false);
    for (const d of [out.desc.digest, img.id, ...m.layers.map((l) => l.digest)]) expect(existsSync(s.content.blobPath(d))).toBe(true);
  });

  test("a crash between two tag writes: both manifests are complete images, sweep keeps both", async () => {
    const s = store();
    const img = await plainImage(s, [layerTar({ "etc/c": "c\n".repeat(5000) })], ["example.com/c:1", "example.com/c:2"]);
    const bytes = await s.content.readBytes(img.target.digest);
    const conv = partsOf(s).conversions!;
    const gz = new GzipLayers(parseManifest(bytes), { ...conv, retarget: async () => [] }, s.content);
    const out = await gz.record(img.target, bytes);
    // what a process killed after the first of the two record writes leaves
    s.index.replaceTarget(s.index.get("example.com/c:1")!, out.desc);
    expect((await s.sweep()).blobs).toEqual([]);
    const [one] = await s.images();
    expect(one!.records.length).toBe(2);
    expect(one!.manifests.size).toBe(2);
    for (const d of s.blobsOf(one!)) expect(existsSync(s.content.blobPath(d))).toBe(true);
    // the next push finds the gzip blob of the same layer and only moves the remaining tag
    const again = new GzipLayers(parseManifest(bytes), conv, s.content);
    const before = blobs(s);
    const out2 = await again.record(img.target, bytes);
    expect(out2.desc.digest).toBe(out.desc.digest);
    expect(blobs(s)).toEqual(before);
    expect(s.index.get("example.com/c:2")!.target.digest).toBe(out.desc.digest);
  });

  test("a layer shared with an already converted image reuses its gzip blob", async () => {
    const s = store();
    const base = layerTar({ "etc/base": "base\n".repeat(3000) });
    const a = await plainImage(s, [base], ["example.com/a:1"]);
    const conv = partsOf(s).conversions!;
    const ab = await s.content.readBytes(a.target.digest);
    const outA = await new GzipLayers(parseManifest(ab), conv, s.content).record(a.target, ab);
    const gzBase = parseManifest(outA.bytes).layers[0]!;
    const b = await plainImage(s, [base, layerTar({ "etc/top": "top\n" })], ["example.com/b:1"]);
    expect(await conv.gzipOf(a.layers[0]!.digest)).toEqual({ digest: gzBase.digest, size: gzBase.size });
    let compressed = 0;
    const counting = { ...conv, gzip: (d: string, sig?: AbortSignal) => (compressed++, conv.gzip(d, sig)) };
    const bb = await s.content.readBytes(b.target.digest);
    const outB = await new GzipLayers(parseManifest(bb), counting, s.content).record(b.target, bb);
    expect(compressed).toBe(1);
    expect(parseManifest(outB.bytes).layers[0]!.digest).toBe(gzBase.digest);
  });

  test("Docker schema2 manifests get Docker's gzip type; other fields are kept", async () => {
    const s = store();
    const tar = layerTar({ "etc/d": "d\n" });
    const layer = { mediaType: "application/vnd.docker.image.rootfs.diff.tar", digest: await putBytes(s.content, tar), size: tar.length, annotations: { keep: "me" } };
    const cfg = serializeImageConfig({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [layer.digest] } });
    const config = { mediaType: MediaType.dockerConfig, digest: await putBytes(s.content, cfg), size: cfg.length };
    const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers: [layer] }));
    const target = { mediaType: MediaType.dockerManifest, digest: await putBytes(s.content, bytes), size: bytes.length };
    await s.setName("example.com/d:1", target);
    const out = await new GzipLayers(parseManifest(bytes), partsOf(s).conversions!, s.content).record(target, bytes);
    const doc = JSON.parse(new TextDecoder().decode(out.bytes));
    expect(out.desc.mediaType).toBe(MediaType.dockerManifest);
    expect(doc.mediaType).toBe(MediaType.dockerManifest);
    expect(doc.layers[0].mediaType).toBe(MediaType.dockerLayer);
    expect(doc.layers[0].annotations).toEqual({ keep: "me" });
    expect(s.index.get(danglingName(target.digest))).toBeNull();
  });
});
