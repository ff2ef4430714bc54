/**
 * Writes images as one tar that is both a docker-archive (manifest.json, read by `docker load` and
 * skopeo's docker-archive:) and an OCI image layout (oci-layout + index.json, read by OCI tools), sharing
 * one copy of every blob under blobs/sha256/ — the layout Docker 25+ writes. Blobs are streamed from the
 * content store, so saving a large image does not hold it in memory.
 */
import type { Descriptor, Provider } from "../content/types.ts";
import { TarWriter } from "../tar/writer.ts";
import type { TarEntry } from "../tar/types.ts";

export interface SaveItem {
  /** the image manifest (single platform) */
  manifest: Descriptor;
  /** full names "docker.io/library/busybox:latest"; empty for an image saved by ID */
  names: string[];
  /** Docker's short names for manifest.json RepoTags: "busybox:latest" */
  repoTags: string[];
}

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

function fileEntry(name: string, size: number): TarEntry {
  return { name, type: "file", mode: 0o644, uid: 0, gid: 0, size, mtime: 0, mtimeNsec: 0 };
}

function dirEntry(name: string): TarEntry {
  return { name, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, mtimeNsec: 0 };
}

const blobName = (digest: string) => `blobs/sha256/${digest.replace(/^sha256:/, "")}`;

export async function* writeArchive(items: SaveItem[], store: Provider): AsyncGenerator<Uint8Array> {
  const w = new TarWriter();
  const enc = new TextEncoder();
  const small = (name: string, data: Uint8Array) => w.entry(fileEntry(name, data.length), data);
  const written = new Set<string>();
  const dockerManifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const index: Descriptor[] = [];

  yield* w.entry(dirEntry("blobs"));
  yield* w.entry(dirEntry("blobs/sha256"));
  for (const item of items) {
    const mbytes = await store.readBytes(item.manifest.digest);
    const m = JSON.parse(new TextDecoder().decode(mbytes)) as { config: Descriptor; layers: Descriptor[] };
    for (const d of [m.config, ...m.layers]) {
      if (written.has(d.digest)) continue;
      written.add(d.digest);
      yield* w.entry(fileEntry(blobName(d.digest), d.size), store.readStream(d.digest));
    }
    if (!written.has(item.manifest.digest)) {
      written.add(item.manifest.digest);
      yield* small(blobName(item.manifest.digest), mbytes);
    }
    dockerManifest.push({ Config: blobName(m.config.digest), RepoTags: item.repoTags.length ? item.repoTags : null, Layers: m.layers.map((l) => blobName(l.digest)) });
    const base = { mediaType: item.manifest.mediaType, digest: item.manifest.digest, size: mbytes.byteLength };
    if (item.names.length === 0) index.push(base);
    for (const name of item.names) {
      const tag = /:([\w][\w.-]*)$/.exec(name.replace(/@.*$/, ""))?.[1];
      index.push({ ...base, annotations: { "io.containerd.image.name": name, ...(tag ? { "org.opencontainers.image.ref.name": tag } : {}) } });
    }
  }
  yield* small("index.json", enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: index })));
  yield* small("manifest.json", enc.encode(JSON.stringify(dockerManifest)));
  yield* small("oci-layout", enc.encode(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
  yield w.finish();
}
