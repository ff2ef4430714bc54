/**
 * containerd's remotes shape: a Resolver turns a reference into a verified root descriptor, then hands out
 * a Fetcher (descriptor -> byte stream) and a Pusher (descriptor -> writer) for that repository. Manifests
 * are small and fully checked here (digest, size cap, media type); blobs are checked by the content store's
 * commit, which every byte passes through.
 */
import type { Descriptor } from "../image/content/types.ts";
import { repoScope } from "./auth.ts";
import { clientFor, type RegistryClient } from "./client.ts";
import { AuthError, DigestError, RegistryNotFoundError } from "./errors.ts";
import { fetchBlob } from "./fetcher.ts";
import { MANIFEST_ACCEPT, docKind, sniffMediaType } from "./mediatypes.ts";
import { Pusher } from "./pusher.ts";
import { familiarName, formatReference, type Reference } from "../image/reference.ts";

/** containerd's limit: a manifest larger than this is not a manifest */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Fetcher {
  fetch(desc: Descriptor, offset?: number): Promise<ReadableStream<Uint8Array>>;
  /** manifests and configs: whole, verified bytes */
  fetchBytes(desc: Descriptor): Promise<Uint8Array>;
}

export interface Resolved {
  desc: Descriptor;
  /** the manifest bytes, already verified against desc.digest */
  bytes: Uint8Array;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

export class Resolver {
  readonly client: RegistryClient;
  private readonly manifests = new Map<string, Uint8Array>();

  constructor(
    readonly ref: Reference,
    client?: RegistryClient,
  ) {
    this.client = client ?? clientFor(ref.domain);
  }

  private get scopes(): string[] {
    return [repoScope(this.ref.path, "pull")];
  }

  /** GETs the manifest the reference names (by digest if it has one), verifies it, returns its descriptor */
  async resolve(): Promise<Resolved> {
    const r = this.ref;
    const what = r.digest ?? r.tag!;
    let res: Response;
    try {
      res = await this.client.request(`/v2/${r.path}/manifests/${what}`, { scopes: this.scopes, headers: { Accept: MANIFEST_ACCEPT } });
    } catch (err) {
      // Docker's two answers: a missing manifest, or a repository we may not see (401/403 from the
      // registry itself; token-server failures keep their own message)
      if (err instanceof RegistryNotFoundError) throw new RegistryNotFoundError(`manifest for ${formatReference(r, true)} not found: manifest unknown: manifest unknown`, err.codes);
      if (err instanceof AuthError && err.codes.length > 0) {
        const detail = err.message.slice(err.message.indexOf('": ') + 3);
        throw new AuthError(`pull access denied for ${familiarName(r)}, repository does not exist or may require 'bunker login': ${detail}`, err.status, err.codes);
      }
      throw err;
    }
    const bytes = await readCapped(res, MAX_MANIFEST_BYTES, `manifest for ${formatReference(r, true)}`);
    const digest = sha256(bytes);
    if (r.digest && r.digest !== digest) {
      throw new DigestError(r.digest, `manifest verification failed for digest ${r.digest}: content has digest ${digest}`);
    }
    const header = res.headers.get("docker-content-digest");
    if (header && header.startsWith("sha256:") && header !== digest) {
      throw new DigestError(header, `manifest verification failed for ${formatReference(r, true)}: Docker-Content-Digest ${header} does not match the body's digest ${digest}`);
    }
    const mediaType = sniffMediaType(bytes, res.headers.get("content-type"));
    this.manifests.set(digest, bytes);
    return { desc: { mediaType, digest, size: bytes.byteLength }, bytes };
  }

  fetcher(): Fetcher {
    return {
      fetch: async (desc, offset) => fetchBlob(this.client, this.ref.path, desc, { offset, scopes: this.scopes }),
      fetchBytes: (desc) => this.fetchBytes(desc),
    };
  }

  pusher(): Pusher {
    return new Pusher(this.client, this.ref);
  }

  /** a child manifest (from an index) or a config blob, verified against its descriptor */
  private async fetchBytes(desc: Descriptor): Promise<Uint8Array> {
    const cached = this.manifests.get(desc.digest);
    if (cached && cached.byteLength === desc.size) return cached;
    let kind: "manifest" | "blob" = "blob";
    try {
      docKind(desc.mediaType);
      kind = "manifest";
    } catch {
      // configs and other blobs
    }
    if (desc.size > MAX_MANIFEST_BYTES * 4) throw new DigestError(desc.digest, `${desc.digest}: ${desc.size} bytes is too large for a ${kind === "manifest" ? "manifest" : "config"}`);
    const res =
      kind === "manifest"
        ? await this.client.request(`/v2/${this.ref.path}/manifests/${desc.digest}`, { scopes: this.scopes, headers: { Accept: MANIFEST_ACCEPT } })
        : await this.client.request(`/v2/${this.ref.path}/blobs/${desc.digest}`, { scopes: this.scopes, raw: true });
    const bytes = await readCapped(res, desc.size, desc.digest);
    if (bytes.byteLength !== desc.size) {
      throw new DigestError(desc.digest, `failed to fetch ${desc.digest}: size ${bytes.byteLength} does not match descriptor size ${desc.size}`);
    }
    const got = sha256(bytes);
    if (got !== desc.digest) throw new DigestError(desc.digest, `digest mismatch for ${desc.digest}: content has digest ${got}`);
    if (kind === "manifest") sniffMediaType(bytes, desc.mediaType);
    return bytes;
  }
}

/** reads a body, failing as soon as it grows past `max` (a hostile or broken server) */
async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const len = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(len) && len > max) {
    await res.body?.cancel().catch(() => {});
    throw new DigestError("", `${what}: ${len} bytes exceeds the limit of ${max}`);
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body ?? []) {
    n += chunk.byteLength;
    if (n > max) throw new DigestError("", `${what}: content is larger than ${max} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
