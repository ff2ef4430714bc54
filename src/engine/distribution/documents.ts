/**
 * Parsing manifests, indexes and configs from untrusted bytes: every field we act on is checked for type
 * and shape before use, so a tampered document fails with a clear message instead of a TypeError.
 */
import type { Descriptor, Platform } from "../../image/content/types.ts";
import { UnsupportedError } from "../../registry/errors.ts";
import { isConfigType, layerCompression } from "../../registry/mediatypes.ts";
import { formatPlatform, platformMatches } from "../../registry/platform.ts";

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  rootfs: { type: string; diff_ids: string[] };
  [k: string]: unknown;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function json(bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch {
    // fall through
  }
  throw new UnsupportedError(`invalid ${what}: not a JSON object`);
}

export function checkDescriptor(d: unknown, what: string): Descriptor {
  const x = d as Descriptor;
  if (!x || typeof x !== "object") throw new UnsupportedError(`invalid ${what}: descriptor is not an object`);
  if (typeof x.digest !== "string" || !DIGEST.test(x.digest)) throw new UnsupportedError(`invalid ${what}: bad digest ${JSON.stringify(x.digest)}`);
  if (!Number.isSafeInteger(x.size) || x.size < 0) throw new UnsupportedError(`invalid ${what}: bad size for ${x.digest}`);
  if (typeof x.mediaType !== "string") throw new UnsupportedError(`invalid ${what}: no media type for ${x.digest}`);
  return x;
}

export function parseManifest(bytes: Uint8Array): ImageManifest {
  const m = json(bytes, "manifest");
  if (m.schemaVersion !== 2) throw new UnsupportedError(`unsupported manifest schemaVersion ${JSON.stringify(m.schemaVersion)}`);
  const config = checkDescriptor(m.config, "manifest config");
  if (!isConfigType(config.mediaType)) throw new UnsupportedError(`unsupported config media type ${config.mediaType}: not a container image`);
  if (!Array.isArray(m.layers)) throw new UnsupportedError("invalid manifest: layers is not a list");
  const layers = m.layers.map((l, i) => checkDescriptor(l, `manifest layer ${i}`));
  for (const l of layers) layerCompression(l.mediaType);
  return { ...(m as object), schemaVersion: 2, config, layers } as ImageManifest;
}

export function parseIndex(bytes: Uint8Array): ImageIndex {
  const m = json(bytes, "index");
  if (m.schemaVersion !== 2) throw new UnsupportedError(`unsupported index schemaVersion ${JSON.stringify(m.schemaVersion)}`);
  if (!Array.isArray(m.manifests)) throw new UnsupportedError("invalid index: manifests is not a list");
  return { schemaVersion: 2, mediaType: m.mediaType as string | undefined, manifests: m.manifests.map((d, i) => checkDescriptor(d, `index entry ${i}`)) };
}

export function parseConfig(bytes: Uint8Array, layerCount: number): ImageConfig {
  const c = json(bytes, "image config");
  const rootfs = c.rootfs as ImageConfig["rootfs"] | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids) || rootfs.diff_ids.some((d) => typeof d !== "string" || !DIGEST.test(d))) {
    throw new UnsupportedError("invalid image config: rootfs.diff_ids missing or malformed");
  }
  if (rootfs.diff_ids.length !== layerCount) {
    throw new UnsupportedError(`invalid image config: ${rootfs.diff_ids.length} diff_ids for ${layerCount} layers`);
  }
  return c as ImageConfig;
}

/** the manifest for `want` (attestation manifests have platform unknown/unknown and never match) */
export function pickPlatform(index: ImageIndex, want: Platform): Descriptor {
  const hit = index.manifests.find((d) => platformMatches(want, d.platform));
  if (!hit) throw new UnsupportedError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  return hit;
}

export { chainIds } from "../../image/snapshots.ts";
