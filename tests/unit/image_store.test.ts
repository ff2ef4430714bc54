import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseImageConfig, serializeImageConfig } from "../../src/image/config.ts";
import { putBytes, sha256Digest } from "../../src/image/content/copy.ts";
import { ParallelGzip } from "../../src/image/gzip.ts";
import { danglingName } from "../../src/image/index.ts";
import { detectCompression, storeLayer } from "../../src/image/layer.ts";
import { isForeignLayer, layerCompression, ManifestError, MediaType, ociManifest, parseManifest } from "../../src/image/manifest.ts";
import { layerCompression as registryLayerCompression } from "../../src/registry/mediatypes.ts";
import { UnsupportedError } from "../../src/registry/errors.ts";
import { ImageStore } from "../../src/image/store.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function store(): ImageStore {
  const d = mkdtempSync(join(tmpdir(), "bunker-store-"));
  dirs.push(d);
  return new ImageStore(d);
}

/** a small tar made with GNU tar from a temp tree */
function makeTar(files: Record<string, string>): Uint8Array {
  const d = mkdtempSync(join(tmpdir(), "bunker-tarsrc-"));
  dirs.push(d);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(d, name), body);
  const p = Bun.spawnSync(["tar", "--numeric-owner", "-C", d, "-cf", "-", "."]);
  return new Uint8Array(p.stdout);
}

const streamOf = (b: Uint8Array) => new Blob([b as Uint8Array<ArrayBuffer>]).stream();
const hex = (b: Uint8Array) => sha256Digest(b);

async function image(s: ImageStore, tar: Uint8Array) {
  const layer = await storeLayer(s, streamOf(tar));
  const cfg = serializeImageConfig({ architecture: "amd64", os: "linux", created: new Date().toISOString(), rootfs: { type: "layers", diff_ids: [layer.diffId] } });
  const cfgDigest = await putBytes(s.content, cfg);
  const m = ociManifest({ mediaType: MediaType.ociConfig, digest: cfgDigest, size: cfg.length }, [layer.desc]);
  const mDigest = await putBytes(s.content, m);
  return { layer, target: { mediaType: MediaType.ociManifest, digest: mDigest, size: m.length }, id: cfgDigest };
}

describe("manifests and configs", () => {
  test("Docker schema2 and OCI manifests both parse", () => {
    const d = (c: string) => `sha256:${c.repeat(64)}`;
    const docker = { schemaVersion: 2, mediaType: MediaType.dockerManifest, config: { mediaType: MediaType.dockerConfig, digest: d("1"), size: 1 }, layers: [{ mediaType: MediaType.dockerLayer, digest: d("2"), size: 2 }] };
    expect(parseManifest(new TextEncoder().encode(JSON.stringify(docker))).mediaType).toBe(MediaType.dockerManifest);
    const oci = ociManifest({ mediaType: MediaType.ociConfig, digest: d("1"), size: 1 }, [{ mediaType: MediaType.ociLayerZstd, digest: d("2"), size: 2 }]);
    expect(parseManifest(oci).layers[0]!.mediaType).toBe(MediaType.ociLayerZstd);
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    expect(() => parseManifest(new TextEncoder().encode(JSON.stringify(index)))).toThrow(ManifestError);
    expect(() => parseManifest(new TextEncoder().encode("{"))).toThrow(ManifestError);
    expect(layerCompression(MediaType.dockerLayer)).toBe("gzip");
    expect(() => layerCompression("text/plain")).toThrow(ManifestError);
  });

  test("one layer media type table: what the store unpacks is what a registry may hand out, minus foreign layers", () => {
    const want: Record<string, "none" | "gzip" | "zstd"> = {
      [MediaType.ociLayer]: "none",
      [MediaType.dockerLayerPlain]: "none",
      [MediaType.ociLayerGzip]: "gzip",
      [MediaType.dockerLayer]: "gzip",
      [MediaType.ociLayerZstd]: "zstd",
      [MediaType.dockerLayerZstd]: "zstd",
    };
    for (const [type, c] of Object.entries(want)) {
      expect(layerCompression(type)).toBe(c);
      expect(registryLayerCompression(type)).toBe(c);
    }
    // foreign layers: readable from a saved archive, never fetched from or pushed to a registry
    for (const type of [MediaType.dockerForeignLayer, MediaType.ociLayerNondist, MediaType.ociLayerNondistGzip, MediaType.ociLayerNondistZstd]) {
      expect(isForeignLayer(type)).toBe(true);
      expect(() => layerCompression(type)).not.toThrow();
      expect(() => registryLayerCompression(type)).toThrow(UnsupportedError);
    }
    expect(() => registryLayerCompression("text/plain")).toThrow(UnsupportedError);
  });

  test("config serialization is stable and parses back", () => {
    const c = { os: "linux", architecture: "amd64", rootfs: { type: "layers" as const, diff_ids: [`sha256:${"a".repeat(64)}`] }, config: { Cmd: ["sh"] } };
    const a = serializeImageConfig(c);
    expect(serializeImageConfig(parseImageConfig(a))).toEqual(a);
    expect(() => parseImageConfig(new TextEncoder().encode('{"rootfs":{}}'))).toThrow(ManifestError);
  });
});

describe("layers", () => {
  test("compression is detected by magic bytes", () => {
    expect(detectCompression(Bun.gzipSync(new Uint8Array(1)))).toBe("gzip");
    expect(detectCompression(Bun.zstdCompressSync(new Uint8Array(1)))).toBe("zstd");
    expect(detectCompression(new TextEncoder().encode("BZh91AY"))).toBe("bzip2");
    expect(detectCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]))).toBe("xz");
    expect(detectCompression(new Uint8Array(512))).toBe("none");
  });

  test("a plain tar is stored gzip-compressed; the diff ID is the tar's sha256", async () => {
    const s = store();
    const tar = makeTar({ a: "hello", b: "x".repeat(100_000) });
    const l = await storeLayer(s, streamOf(tar));
    expect(l.diffId).toBe(hex(tar));
    expect(l.chainId).toBe(l.diffId);
    expect(l.desc.mediaType).toBe(MediaType.ociLayerGzip);
    const blob = await s.content.readBytes(l.desc.digest);
    expect(l.desc.size).toBe(blob.length);
    expect(new Uint8Array(await new Response(streamOf(blob).pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>)).arrayBuffer())).toEqual(tar as Uint8Array<ArrayBuffer>);
    expect(await Bun.file(join(s.snapshots.fsPath(l.chainId), "a")).text()).toBe("hello");
    expect(l.size).toBe(100_005);
  });

  test("gzip and zstd inputs are stored as given", async () => {
    const s = store();
    const tar = makeTar({ f: "data" });
    for (const [bytes, type] of [[Bun.gzipSync(tar as Uint8Array<ArrayBuffer>), MediaType.ociLayerGzip], [Bun.zstdCompressSync(tar), MediaType.ociLayerZstd]] as const) {
      const l = await storeLayer(s, streamOf(bytes));
      expect(l.desc).toEqual({ mediaType: type, digest: hex(bytes), size: bytes.length });
      expect(l.diffId).toBe(hex(tar));
    }
  });

  test("bytes after the end-of-archive marker still count in the diff ID", async () => {
    const s = store();
    const tar = new Uint8Array([...makeTar({ f: "x" }), ...new Uint8Array(10240)]);
    expect((await storeLayer(s, streamOf(tar))).diffId).toBe(hex(tar));
  });

  test("a malformed tar fails and leaves no blob, ingest or snapshot", async () => {
    const s = store();
    const junk = new Uint8Array(4096).fill(7);
    await expect(storeLayer(s, streamOf(junk))).rejects.toThrow();
    expect(await s.content.list()).toEqual([]);
    expect(await s.content.listIngests()).toEqual([]);
    expect(readdirSync(s.snapshots.root).filter((n) => n.startsWith("tmp-") || /^\d+$/.test(n))).toEqual([]);
  });

  test("a layer on a parent gets the chain ID of both", async () => {
    const s = store();
    const base = await storeLayer(s, streamOf(makeTar({ a: "1" })));
    const top = await storeLayer(s, streamOf(makeTar({ b: "2" })), { parent: base.chainId });
    expect(top.chainId).toBe(`sha256:${new Bun.CryptoHasher("sha256").update(`${base.chainId} ${top.diffId}`).digest("hex")}`);
    expect(s.snapshots.lowerDirs(top.chainId)).toHaveLength(2);
  });

  test("ParallelGzip output is one valid (multi-member) gzip stream in order", async () => {
    const parts: Uint8Array[] = [];
    const g = new ParallelGzip((c) => void parts.push(c), { blockSize: 1000, workers: 2 });
    const data = new Uint8Array(10_500).map((_, i) => (i * 31) % 251);
    for (let i = 0; i < data.length; i += 777) await g.push(data.subarray(i, i + 777));
    await g.finish();
    const out = new Uint8Array(await new Response(new Blob(parts).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    expect(out).toEqual(data);
  });
});

describe("image store", () => {
  test("re-pointing a name leaves the old image dangling; naming it again clears that", async () => {
    const s = store();
    const a = await image(s, makeTar({ a: "1" }));
    const b = await image(s, makeTar({ b: "2" }));
    await s.setName("docker.io/library/x:latest", a.target);
    await s.setName("docker.io/library/x:latest", b.target);
    expect(s.index.get(danglingName(a.target.digest))).not.toBeNull();
    await s.setName("docker.io/library/y:latest", a.target);
    expect(s.index.get(danglingName(a.target.digest))).toBeNull();
    const imgs = await s.images();
    expect(imgs.map((i) => i.id).sort()).toEqual([a.id, b.id].sort());
  });

  test("repair sweeps what a dead lease committed, and keeps named images", async () => {
    const s = store();
    const kept = await image(s, makeTar({ k: "keep" }));
    await s.setName("docker.io/library/k:latest", kept.target);
    const lease = await s.lease("test import");
    const orphan = await storeLayer(s, streamOf(makeTar({ o: "orphan" })));
    lease.releaseLock(); // the process "died": the lease file stays
    const report = await s.repair();
    expect(report.swept.blobs).toContain(orphan.desc.digest);
    expect(report.swept.snapshots).toEqual([orphan.chainId]);
    expect(await s.content.info(kept.layer.desc.digest)).not.toBeNull();
    expect(s.snapshots.stat(kept.layer.chainId)).not.toBeNull();
    expect(readdirSync(join(s.root, "leases")).filter((f) => f.endsWith(".lease"))).toEqual([]);
  });

  test("repair is skipped while a lease is live", async () => {
    const s = store();
    const lease = await s.lease("busy");
    expect((await s.repair()).skipped).toBe(true);
    lease.release();
    expect((await s.repair()).skipped).toBe(false);
  });
});

