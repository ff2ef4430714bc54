/**
 * Reads an image archive into the content store: docker-archive (manifest.json; legacy `<id>/layer.tar`
 * or Docker 25+ blobs/sha256/) and OCI image layouts (oci-layout + index.json), or one tar that is both.
 * Every blob passes copyToStore: files under blobs/sha256/ must hash to their names; other files are
 * stored under the digest they hash to. Documents are read after the stream ends, because archive order
 * is not fixed (legacy docker-archives put manifest.json last).
 */
import { copyToStore, putBytes, sha256Digest } from "../content/copy.ts";
import type { ContentStore, Descriptor } from "../content/types.ts";
import { BunkerError } from "../../errors.ts";
import { readTar } from "../tar/reader.ts";

export interface LoadedImage {
  manifest: Descriptor;
  /** names as found (full "host/repo:tag" from OCI annotations, or Docker's short RepoTags) */
  names: string[];
}

const MAX_DOC = 4 * 1024 * 1024;
const M = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
};

export class ArchiveError extends BunkerError {
  constructor(message: string) {
    super(message);
    this.name = "ArchiveError";
  }
}

export async function readArchive(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, store: ContentStore): Promise<LoadedImage[]> {
  /** archive path -> stored blob */
  const files = new Map<string, Descriptor>();
  const docs = new Map<string, Uint8Array>();
  /** blobs this load added: removed again if the archive turns out bad, so a failed load leaves nothing */
  const added: string[] = [];
  try {
    await ingestAll(source, store, files, docs, added);
    if (docs.has("manifest.json")) return await fromDockerManifest(docs.get("manifest.json")!, files, store, docs.get("index.json"));
    if (docs.has("index.json")) return await fromOciIndex(docs.get("index.json")!, store);
    throw new ArchiveError("invalid archive: no manifest.json or index.json found (not a docker-archive or OCI layout)");
  } catch (err) {
    for (const d of added) await store.delete(d).catch(() => {});
    throw err;
  }
}

async function ingestAll(
  source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  store: ContentStore,
  files: Map<string, Descriptor>,
  docs: Map<string, Uint8Array>,
  added: string[],
): Promise<void> {
  let n = 0;
  for await (const { entry, body } of readTar(source)) {
    if (entry.type !== "file") continue;
    const name = entry.name;
    if (name === "manifest.json" || name === "index.json" || name === "oci-layout" || name === "repositories") {
      if (entry.size > MAX_DOC) throw new ArchiveError(`invalid archive: ${name} is ${entry.size} bytes`);
      docs.set(name, await collect(body));
      continue;
    }
    const named = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
    const existed = named ? (await store.info(`sha256:${named[1]}`)) !== null : false;
    const writer = await store.writer(`load-${process.pid}-${n++}`);
    try {
      const digest = await copyToStore(writer, iterToStream(body), { size: entry.size, digest: named ? `sha256:${named[1]}` : undefined });
      files.set(name, { mediaType: "", digest, size: entry.size });
      if (!existed && named) added.push(digest);
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
  }
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

function iterToStream(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const i = it[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const r = await i.next();
      if (r.done) ctrl.close();
      else ctrl.enqueue(r.value);
    },
  });
}

function json<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw new ArchiveError(`invalid archive: ${what} is not valid JSON`);
  }
}

/** gzip, zstd or plain tar, from the first bytes (docker-archive layers carry no media type) */
async function layerType(store: ContentStore, digest: string): Promise<string> {
  for await (const head of store.readStream(digest)) {
    if (head[0] === 0x1f && head[1] === 0x8b) return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "application/vnd.oci.image.layer.v1.tar+zstd";
    break;
  }
  return "application/vnd.oci.image.layer.v1.tar";
}

async function fromDockerManifest(bytes: Uint8Array, files: Map<string, Descriptor>, store: ContentStore, indexBytes?: Uint8Array): Promise<LoadedImage[]> {
  const entries = json<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]>(bytes, "manifest.json");
  if (!Array.isArray(entries)) throw new ArchiveError("invalid archive: manifest.json is not a list");
  // the OCI side of a bunker/Docker 25+ archive holds the original manifests: reuse them so IDs and
  // digests survive a save/load round trip
  const originals = new Map<string, Descriptor>();
  if (indexBytes) {
    for (const d of json<{ manifests?: Descriptor[] }>(indexBytes, "index.json").manifests ?? []) {
      const mb = await store.readBytes(d.digest).catch(() => null);
      if (!mb) continue;
      const m = json<{ config?: Descriptor; layers?: Descriptor[] }>(mb, "manifest");
      if (m.config && m.layers) originals.set(`${m.config.digest} ${m.layers.map((l) => l.digest).join(" ")}`, { mediaType: d.mediaType, digest: d.digest, size: mb.byteLength });
    }
  }
  const out: LoadedImage[] = [];
  for (const e of entries) {
    const cfg = e.Config && files.get(e.Config);
    if (!cfg) throw new ArchiveError(`invalid archive: config ${JSON.stringify(e.Config)} is missing`);
    const layers: Descriptor[] = [];
    for (const p of e.Layers ?? []) {
      const f = files.get(p);
      if (!f) throw new ArchiveError(`invalid archive: layer ${JSON.stringify(p)} is missing`);
      layers.push({ mediaType: await layerType(store, f.digest), digest: f.digest, size: f.size });
    }
    const key = `${cfg.digest} ${layers.map((l) => l.digest).join(" ")}`;
    let manifest = originals.get(key);
    if (!manifest) {
      const mbytes = new TextEncoder().encode(
        JSON.stringify({ schemaVersion: 2, mediaType: M.ociManifest, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: cfg.digest, size: cfg.size }, layers }),
      );
      await putBytes(store, mbytes);
      manifest = { mediaType: M.ociManifest, digest: sha256Digest(mbytes), size: mbytes.byteLength };
    }
    out.push({ manifest, names: e.RepoTags ?? [] });
  }
  return out;
}

async function fromOciIndex(bytes: Uint8Array, store: ContentStore): Promise<LoadedImage[]> {
  const idx = json<{ manifests?: Descriptor[] }>(bytes, "index.json");
  if (!Array.isArray(idx.manifests)) throw new ArchiveError("invalid archive: index.json has no manifests");
  const byDigest = new Map<string, LoadedImage>();
  for (const d of idx.manifests) {
    if (d.mediaType === M.ociIndex || d.mediaType === M.dockerList) {
      throw new ArchiveError(`loading multi-platform indexes is not supported (${d.digest}); save a single platform`);
    }
    if (!(await store.info(d.digest))) throw new ArchiveError(`invalid archive: manifest ${d.digest} is missing from blobs/`);
    const img = byDigest.get(d.digest) ?? { manifest: { mediaType: d.mediaType, digest: d.digest, size: d.size }, names: [] };
    // ref.name alone is often just a tag ("latest"); only a full reference can name an image
    const refName = d.annotations?.["org.opencontainers.image.ref.name"];
    const name = d.annotations?.["io.containerd.image.name"] ?? (refName && /[/:]/.test(refName) ? refName : undefined);
    if (name) img.names.push(name);
    byDigest.set(d.digest, img);
  }
  return [...byDigest.values()];
}
