/**
 * The media types a registry speaks, and the one decision made from them: what a document is. Anything not
 * listed is refused with a clear "unsupported" error rather than guessed at.
 */
import { isForeignLayer, layerCompression as storedLayerCompression, MediaType, type Compression } from "../image/manifest.ts";
import { UnsupportedError } from "./errors.ts";

/** the image layer's names (image/manifest.ts) plus what only a registry conversation needs */
export const MT = {
  dockerManifest: MediaType.dockerManifest,
  dockerList: MediaType.dockerManifestList,
  dockerConfig: MediaType.dockerConfig,
  dockerLayer: MediaType.dockerLayer,
  dockerLayerZstd: MediaType.dockerLayerZstd,
  dockerForeignLayer: MediaType.dockerForeignLayer,
  schema1: "application/vnd.docker.distribution.manifest.v1+json",
  schema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  ociManifest: MediaType.ociManifest,
  ociIndex: MediaType.ociIndex,
  ociConfig: MediaType.ociConfig,
  ociLayer: MediaType.ociLayer,
  ociLayerGzip: MediaType.ociLayerGzip,
  ociLayerZstd: MediaType.ociLayerZstd,
  ociLayerNondist: MediaType.ociLayerNondistGzip,
} as const;

/** what we send in Accept: indexes first, so a multi-arch tag gives us the choice of platform */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(", ");

export type DocKind = "index" | "manifest";
export type { Compression };

export function docKind(mediaType: string): DocKind {
  switch (mediaType) {
    case MT.ociIndex:
    case MT.dockerList:
      return "index";
    case MT.ociManifest:
    case MT.dockerManifest:
      return "manifest";
    case MT.schema1:
    case MT.schema1Signed:
    case "application/json":
      throw new UnsupportedError(
        `unsupported manifest format: Docker Image manifest version 2, schema 1 (${mediaType}) is no longer supported; push the image again with a current client`,
      );
    default:
      throw new UnsupportedError(`unsupported manifest media type: ${mediaType || "(none)"}`);
  }
}

/** a layer's compression, for layers a registry serves: foreign/non-distributable ones are refused */
export function layerCompression(mediaType: string): Compression {
  if (isForeignLayer(mediaType)) {
    throw new UnsupportedError(`unsupported layer media type: foreign/non-distributable layer (${mediaType})`);
  }
  try {
    return storedLayerCompression(mediaType);
  } catch {
    throw new UnsupportedError(`unsupported layer media type: ${mediaType || "(none)"}`);
  }
}

export function isConfigType(mediaType: string): boolean {
  return mediaType === MT.dockerConfig || mediaType === MT.ociConfig;
}

/**
 * The media type of a document when the server's Content-Type is missing or generic: the document's own
 * field, then its shape. A body that looks like both a manifest and an index is refused (ambiguous
 * documents are a known confusion attack on registries).
 */
export function sniffMediaType(body: Uint8Array, contentType: string | null): string {
  let doc: { mediaType?: unknown; manifests?: unknown; layers?: unknown; config?: unknown; schemaVersion?: unknown; fsLayers?: unknown };
  try {
    doc = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new UnsupportedError("invalid manifest: not a JSON document");
  }
  if (doc === null || typeof doc !== "object") throw new UnsupportedError("invalid manifest: not a JSON object");
  const hasManifests = doc.manifests !== undefined;
  const hasLayers = doc.layers !== undefined || doc.config !== undefined;
  if (hasManifests && hasLayers) throw new UnsupportedError("invalid manifest: document is both an index and an image manifest (ambiguous)");
  if (doc.schemaVersion === 1 || doc.fsLayers !== undefined) docKind(MT.schema1);
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  const ct = contentType?.split(";")[0]?.trim();
  if (declared && ct && ct !== declared && ct !== "application/json" && ct !== "application/octet-stream") {
    throw new UnsupportedError(`invalid manifest: Content-Type ${ct} does not match mediaType ${declared}`);
  }
  const mt = declared ?? (ct && ct !== "application/json" && ct !== "application/octet-stream" ? ct : hasManifests ? MT.ociIndex : MT.ociManifest);
  const kind = docKind(mt);
  if (kind === "index" && hasLayers) throw new UnsupportedError("invalid manifest: index document carries layers (ambiguous)");
  if (kind === "manifest" && hasManifests) throw new UnsupportedError("invalid manifest: image manifest carries manifests (ambiguous)");
  return mt;
}
