/**
 * Builds small test images straight into a bunker root (blobs + name, no snapshots), for registry tests
 * that need something to push before the busybox fixture exists or when they need odd shapes: several
 * layers, zstd or uncompressed layers, Docker or OCI media types, a large random layer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { putBytes } from "../../src/image/content/copy.ts";
import { LocalContentStore } from "../../src/image/content/local.ts";
import type { Descriptor } from "../../src/image/content/types.ts";
import { ImageIndex } from "../../src/image/index.ts";
import { TarWriter } from "../../src/image/tar/writer.ts";

export type LayerFiles = Record<string, Uint8Array | string>;

export interface TestImageOptions {
  layers: LayerFiles[];
  compression?: "gzip" | "zstd" | "none";
  docker?: boolean;
  /** write a wrong diff ID for the first layer (a config that lies about its layers) */
  wrongDiffId?: boolean;
}

export function layerTar(files: LayerFiles): Uint8Array {
  const w = new TarWriter();
  const out: Uint8Array[] = [];
  const dirs = new Set<string>();
  for (const name of Object.keys(files).sort()) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (dirs.has(d)) continue;
      dirs.add(d);
      out.push(...w.entry({ name: d, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1700000000, mtimeNsec: 0 }));
    }
    const v = files[name]!;
    const data = typeof v === "string" ? new TextEncoder().encode(v) : v;
    out.push(...w.entry({ name, type: "file", mode: name.startsWith("bin/") ? 0o755 : 0o644, uid: 0, gid: 0, size: data.length, mtime: 1700000000, mtimeNsec: 0 }, data));
  }
  out.push(w.finish());
  return Buffer.concat(out);
}

const sha = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;

/** the busybox binary as a one-layer image's files, with sh linked in */
export function busyboxFiles(): LayerFiles {
  return { "bin/busybox": readFileSync("/bin/busybox"), "etc/hostname": "bunker-test\n" };
}

export async function makeTestImage(root: string, name: string, o: TestImageOptions): Promise<{ manifest: Descriptor; config: Descriptor; layers: Descriptor[] }> {
  const content = new LocalContentStore(join(root, "content"));
  const c = o.compression ?? "gzip";
  const layerType = o.docker
    ? c === "gzip" ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : c === "zstd" ? "application/vnd.docker.image.rootfs.diff.tar.zstd" : "application/vnd.docker.image.rootfs.diff.tar"
    : c === "gzip" ? "application/vnd.oci.image.layer.v1.tar+gzip" : c === "zstd" ? "application/vnd.oci.image.layer.v1.tar+zstd" : "application/vnd.oci.image.layer.v1.tar";
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const files of o.layers) {
    const tar = layerTar(files);
    diffIds.push(sha(tar));
    const blob = c === "gzip" ? Bun.gzipSync(tar as Uint8Array<ArrayBuffer>) : c === "zstd" ? Bun.zstdCompressSync(tar as Uint8Array<ArrayBuffer>) : tar;
    await putBytes(content, blob);
    layers.push({ mediaType: layerType, digest: sha(blob), size: blob.length });
  }
  if (o.wrongDiffId) diffIds[0] = sha(new TextEncoder().encode("not this layer"));
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/bin/busybox", "sh"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
      rootfs: { type: "layers", diff_ids: diffIds },
      history: diffIds.map(() => ({ created: "2023-11-14T22:13:20Z", created_by: "bunker test" })),
      created: "2023-11-14T22:13:20Z",
    }),
  );
  await putBytes(content, config);
  const configDesc = { mediaType: o.docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length };
  const mt = o.docker ? "application/vnd.docker.distribution.manifest.v2+json" : "application/vnd.oci.image.manifest.v1+json";
  const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: mt, config: configDesc, layers }));
  await putBytes(content, manifest);
  const desc = { mediaType: mt, digest: sha(manifest), size: manifest.length };
  new ImageIndex(join(root, "images")).put(name, desc);
  return { manifest: desc, config: configDesc, layers };
}
