/**
 * Image manifests: bunker writes OCI (image-spec v1.1) and reads both OCI and Docker's v2 schema2, whose
 * JSON shape is the same apart from media types.
 */
import { BunkerError } from "../errors.ts";
import type { Descriptor } from "./content/types.ts";

export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerNondist: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  ociLayerNondistGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  ociLayerNondistZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerPlain: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayerZstd: "application/vnd.docker.image.rootfs.diff.tar.zstd",
  dockerForeignLayer: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

export type Compression = "none" | "gzip" | "zstd";

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export class ManifestError extends BunkerError {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

const MANIFEST_TYPES = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);

/**
 * How a layer's bytes are compressed, from its media type; throws for types that are not layers. The one
 * table for every reader (unpack, save/load, pull, push); what a registry may not hand out (foreign
 * layers) is the registry's own rule on top (registry/mediatypes.ts).
 */
export function layerCompression(mediaType: string): Compression {
  switch (mediaType) {
    case MediaType.ociLayer:
    case MediaType.ociLayerNondist:
    case MediaType.dockerLayerPlain:
      return "none";
    case MediaType.ociLayerGzip:
    case MediaType.ociLayerNondistGzip:
    case MediaType.dockerLayer:
    case MediaType.dockerForeignLayer:
      return "gzip";
    case MediaType.ociLayerZstd:
    case MediaType.ociLayerNondistZstd:
    case MediaType.dockerLayerZstd:
      return "zstd";
    default:
      throw new ManifestError(`unsupported layer media type ${mediaType}`);
  }
}

/** layers whose blob lives outside registries (Windows base layers): never fetched nor pushed by us */
export function isForeignLayer(mediaType: string): boolean {
  return (
    mediaType === MediaType.dockerForeignLayer ||
    mediaType === MediaType.ociLayerNondist ||
    mediaType === MediaType.ociLayerNondistGzip ||
    mediaType === MediaType.ociLayerNondistZstd
  );
}

/** the OCI layer media type for a compression */
export function ociLayerType(c: Compression): string {
  return c === "gzip" ? MediaType.ociLayerGzip : c === "zstd" ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

/** Parses an image manifest of either family and checks its shape (not the blobs it points at). */
export function parseManifest(bytes: Uint8Array, describedAs?: string): Manifest {
  let m: Partial<Manifest> & { mediaType?: string; manifests?: unknown };
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new ManifestError(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  const mediaType = m.mediaType ?? describedAs ?? (m.config?.mediaType === MediaType.dockerConfig ? MediaType.dockerManifest : MediaType.ociManifest);
  if (m.manifests !== undefined || mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) {
    throw new ManifestError(`${mediaType}: an index of manifests, not an image manifest`);
  }
  if (m.schemaVersion !== 2) throw new ManifestError(`unsupported manifest schema version ${String(m.schemaVersion)}`);
  if (!MANIFEST_TYPES.has(mediaType)) throw new ManifestError(`unsupported manifest media type ${mediaType}`);
  if (!isDescriptor(m.config)) throw new ManifestError("manifest has no valid config descriptor");
  if (!CONFIG_TYPES.has(m.config.mediaType)) throw new ManifestError(`unsupported config media type ${m.config.mediaType}`);
  if (!Array.isArray(m.layers) || !m.layers.every(isDescriptor)) throw new ManifestError("manifest has invalid layers");
  for (const l of m.layers) layerCompression(l.mediaType);
  return { schemaVersion: 2, mediaType, config: m.config, layers: m.layers, ...(m.annotations ? { annotations: m.annotations } : {}) };
}

/** An OCI manifest as bunker writes it (fields in the spec's order, so equal inputs give equal bytes). */
export function ociManifest(config: Descriptor, layers: Descriptor[], annotations?: Record<string, string>): Uint8Array {
  const m: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: descriptorJson(config),
    layers: layers.map(descriptorJson),
  };
  if (annotations && Object.keys(annotations).length) m.annotations = annotations;
  return new TextEncoder().encode(JSON.stringify(m));
}

function descriptorJson(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.annotations ? { annotations: d.annotations } : {}) };
}

function isDescriptor(d: unknown): d is Descriptor {
  const x = d as Descriptor | null;
  return !!x && typeof x.mediaType === "string" && typeof x.digest === "string" && /^sha256:[a-f0-9]{64}$/.test(x.digest) && Number.isSafeInteger(x.size) && x.size >= 0;
}
