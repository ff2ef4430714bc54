/**
 * `import`: one tar (plain, gzip or zstd) becomes a one-layer image, the way Docker's ImageImport builds
 * it: config from the -c changes, history [{created, comment}], comment "Imported from -" unless -m.
 * Order matters for crash safety: layer blob and snapshot, then config and manifest blobs, and the name
 * last, in one atomic write. The whole import holds a lease so rmi/prune/repair keep off its blobs.
 */
import { BunkerError } from "../../errors.ts";
import { hostPlatform, serializeImageConfig, type ImageConfig } from "../../image/config.ts";
import { putBytes } from "../../image/content/copy.ts";
import { storeLayer } from "../../image/layer.ts";
import { MediaType, ociManifest } from "../../image/manifest.ts";
import { formatReference, parseReference, withDefaultTag } from "../../image/reference.ts";
import type { ImageStore } from "../../image/store.ts";
import { applyChanges } from "./changes.ts";

export interface ImportOptions {
  source: ReadableStream<Uint8Array>;
  /** where the bytes came from, for the default comment; Docker's CLI always sends "-" */
  sourceName?: string;
  /** REPOSITORY[:TAG] */
  reference?: string;
  changes?: string[];
  message?: string;
  /** "os/arch[/variant]" (docker import --platform) */
  platform?: string;
}

export interface ImportResult {
  /** image ID: "sha256:<config digest hex>" */
  id: string;
  manifestDigest: string;
  /** canonical name written, if a reference was given */
  name?: string;
}

export async function importImage(store: ImageStore, opts: ImportOptions): Promise<ImportResult> {
  // everything that can be refused is checked before a byte is read
  const name = opts.reference ? importName(opts.reference) : undefined;
  const config = applyChanges({}, opts.changes ?? []);
  const platform = parsePlatform(opts.platform);
  const lease = await store.lease(`import ${opts.reference ?? ""}`);
  let ok = false;
  try {
    const layer = await storeLayer(store, opts.source);
    const created = new Date().toISOString();
    const comment = opts.message || `Imported from ${opts.sourceName ?? "-"}`;
    const imageConfig: ImageConfig = {
      ...platform,
      comment,
      config,
      created,
      history: [{ created, comment }],
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
    };
    const configBytes = serializeImageConfig(imageConfig);
    const configDigest = await putBytes(store.content, configBytes);
    const manifestBytes = ociManifest({ mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length }, [layer.desc]);
    const manifestDigest = await putBytes(store.content, manifestBytes);
    const target = { mediaType: MediaType.ociManifest, digest: manifestDigest, size: manifestBytes.length };
    if (name) await store.setName(name, target);
    else await store.addDangling(target);
    ok = true;
    return { id: configDigest, manifestDigest, ...(name ? { name } : {}) };
  } finally {
    // a failed import leaves its lease file: the next repair sweeps what it committed
    if (ok) lease.release();
    else lease.releaseLock();
  }
}

/** Docker refuses digests here ("cannot import digest reference") and adds ":latest" */
function importName(ref: string): string {
  const parsed = parseReference(ref);
  if (parsed.digest) throw new BunkerError("cannot import digest reference");
  return formatReference(withDefaultTag(parsed));
}

function parsePlatform(p: string | undefined): { architecture: string; os: string; variant?: string } {
  if (!p) return hostPlatform();
  const [os, arch, variant] = p.toLowerCase().split("/");
  if (!os || !arch) throw new BunkerError(`"${p}": unknown operating system or architecture: invalid argument`);
  if (os !== "linux") throw new BunkerError(`operating system is not supported`);
  const architecture = arch === "x86_64" || arch === "x86-64" ? "amd64" : arch === "aarch64" ? "arm64" : arch;
  return variant ? { architecture, os, variant } : { architecture, os };
}
