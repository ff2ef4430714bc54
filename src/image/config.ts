/**
 * Image configuration (OCI image-spec config, which Docker's container.image.v1 extends): what a
 * container starts from (user, env, cmd, ...), the layer diff IDs and the history. Docker's extra keys
 * (Healthcheck, OnBuild, Shell, ...) are kept so images round-trip through bunker unchanged.
 */
import { ManifestError } from "./manifest.ts";

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** the "config" object: OCI fields plus the Docker ones bunker reads and writes */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
  StopTimeout?: number;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: HistoryEntry[];
  /** Docker's: a commit/import message */
  comment?: string;
  docker_version?: string;
}

/** this machine's platform in OCI terms (amd64, arm64) */
export function hostPlatform(): { architecture: string; os: string; variant?: string } {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  return arch === "arm64" ? { architecture: arch, os: "linux", variant: "v8" } : { architecture: arch, os: "linux" };
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  let c: Partial<ImageConfig>;
  try {
    c = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new ManifestError(`image config is not valid JSON: ${(err as Error).message}`);
  }
  if (!c || typeof c !== "object") throw new ManifestError("image config is not an object");
  const diffIds = c.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === "string" && /^sha256:[a-f0-9]{64}$/.test(d))) {
    throw new ManifestError("image config has no valid rootfs.diff_ids");
  }
  return { ...c, architecture: c.architecture ?? "", os: c.os ?? "", rootfs: { type: "layers", diff_ids: diffIds } } as ImageConfig;
}

/**
 * Serializes a config with keys in a fixed order: the same image always hashes to the same ID. Keys
 * follow Docker's output order so `docker inspect`-style diffs stay readable.
 */
export function serializeImageConfig(c: ImageConfig): Uint8Array {
  const out: Record<string, unknown> = {};
  const put = (k: keyof ImageConfig) => {
    if (c[k] !== undefined) out[k] = c[k];
  };
  put("architecture");
  if (c.author) out.author = c.author;
  if (c.comment) out.comment = c.comment;
  put("config");
  put("created");
  if (c.docker_version) out.docker_version = c.docker_version;
  put("history");
  put("os");
  put("os.version");
  out.rootfs = { type: "layers", diff_ids: c.rootfs.diff_ids };
  put("variant");
  return new TextEncoder().encode(JSON.stringify(out));
}
