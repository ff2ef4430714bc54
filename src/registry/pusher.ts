/**
 * Uploads to one repository. `push(desc)` returns a content Writer (containerd's Pusher shape) or says the
 * registry already has the blob ("exists") or linked it from another repository ("mounted"). Writes are buffered into
 * chunks: a blob that fits one chunk goes up in a single PUT (monolithic), a larger one as PATCHes that
 * resume from the registry's reported Range after a cut, then the closing PUT ?digest= lets the registry
 * verify the whole.
 */
import type { Descriptor, Writer } from "../image/content/types.ts";
import { repoScope } from "./auth.ts";
import type { RegistryClient } from "./client.ts";
import { DigestError, RegistryError, TransportError } from "./errors.ts";
import type { Reference } from "../image/reference.ts";

/** upload chunk size (env BUNKER_PUSH_CHUNK, read per upload so tests can lower it) */
export function chunkBytes(): number {
  return Number(process.env.BUNKER_PUSH_CHUNK) || 32 * 1024 * 1024;
}

export class Pusher {
  constructor(
    private readonly client: RegistryClient,
    private readonly ref: Reference,
  ) {}

  private scopes(from?: string): string[] {
    const s = [repoScope(this.ref.path, "pull,push")];
    if (from && from !== this.ref.path) s.push(repoScope(from, "pull"));
    return s;
  }

  /** HEAD: does the repository have this blob already? */
  async exists(desc: Descriptor): Promise<boolean> {
    const res = await this.client.request(`/v2/${this.ref.path}/blobs/${desc.digest}`, { method: "HEAD", scopes: this.scopes(), accept: [404] });
    return res.status === 200 && Number(res.headers.get("content-length") ?? desc.size) === desc.size;
  }

  /**
   * Starts an upload. With `mountFrom`, asks the registry to link the blob from that repository first
   * (201 = done, 202 = not possible, upload normally). Returns null when nothing needs sending.
   */
  async push(desc: Descriptor, mountFrom?: string): Promise<Writer | "exists" | "mounted"> {
    if (await this.exists(desc)) return "exists";
    const q = mountFrom && mountFrom !== this.ref.path ? `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(mountFrom)}` : "";
    const res = await this.client.request(`/v2/${this.ref.path}/blobs/uploads/${q}`, { method: "POST", scopes: this.scopes(mountFrom), headers: { "Content-Length": "0" } });
    await res.body?.cancel().catch(() => {});
    if (res.status === 201) return "mounted";
    const loc = res.headers.get("location");
    if (res.status !== 202 || !loc) throw new RegistryError(`starting upload of ${desc.digest}: unexpected status ${res.status}`, res.status);
    return new UploadWriter(this.client, this.client.url(loc), desc, this.scopes());
  }

  /**
   * Uploads a blob that sits in a file (the content store's): the body is a Blob slice, which Bun sends
   * without copying through JS and which can be sent again after a cut. Small blobs go up in one PUT;
   * larger ones as chunk-sized PATCHes, resumed from the registry's Range after a failure.
   */
  async pushFile(desc: Descriptor, file: Blob, mountFrom?: string, onProgress?: (sent: number) => void): Promise<"pushed" | "exists" | "mounted"> {
    const w = await this.push(desc, mountFrom);
    if (typeof w === "string") return w;
    const up = w as UploadWriter;
    if (file.size !== desc.size) throw new DigestError(desc.digest, `local blob ${desc.digest} is ${file.size} bytes, its descriptor says ${desc.size}`);
    if (desc.size > chunkBytes()) {
      for (let off = 0; off < desc.size; ) {
        off = await up.patchSlice(file, off, Math.min(desc.size, off + chunkBytes()));
        onProgress?.(off);
      }
      await up.finish(desc.digest, undefined);
    } else {
      await up.finish(desc.digest, file);
      onProgress?.(desc.size);
    }
    return "pushed";
  }

  /** PUTs a manifest with its exact media type; returns the digest the registry reports */
  async putManifest(desc: Descriptor, bytes: Uint8Array, tagOrDigest: string): Promise<string> {
    const res = await this.client.request(`/v2/${this.ref.path}/manifests/${tagOrDigest}`, {
      method: "PUT",
      scopes: this.scopes(),
      headers: { "Content-Type": desc.mediaType },
      body: bytes,
    });
    await res.body?.cancel().catch(() => {});
    const got = res.headers.get("docker-content-digest");
    if (got && got !== desc.digest) throw new DigestError(desc.digest, `registry stored manifest ${desc.digest} as ${got}`);
    return desc.digest;
  }
}

class UploadWriter implements Writer {
  private buf: Uint8Array[] = [];
  private buffered = 0;
  /** bytes the registry has acknowledged */
  private sent = 0;
  private cuts = 0;

  constructor(
    private readonly client: RegistryClient,
    private location: string,
    private readonly desc: Descriptor,
    private readonly scopes: string[],
  ) {}

  get offset(): number {
    return this.sent + this.buffered;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.buf.push(chunk);
    this.buffered += chunk.byteLength;
    if (this.buffered >= chunkBytes()) await this.flush();
  }

  private take(): Uint8Array {
    const all = Buffer.concat(this.buf);
    this.buf = [];
    this.buffered = 0;
    return all;
  }

  /** PATCHes the buffered bytes (resuming after a cut, see patchSlice) */
  private async flush(): Promise<void> {
    const base = this.sent;
    const data = new Blob([this.take()]);
    const end = base + data.size;
    for (let off = base; off < end; ) off = await this.patchSlice(data, off, end, base);
  }

  /**
   * PATCHes upload bytes [from, to), found in `file` at offset from - base; returns where the registry
   * says it got to (the caller loops until `to`), asking it after a cut connection.
   */
  async patchSlice(file: Blob, from: number, to: number, base = 0): Promise<number> {
    try {
      const res = await this.client.request(this.location, {
        method: "PATCH",
        scopes: this.scopes,
        once: true,
        headers: { "Content-Type": "application/octet-stream", "Content-Range": `${from}-${to - 1}`, "Content-Length": String(to - from) },
        body: file.slice(from - base, to - base),
      });
      await res.body?.cancel().catch(() => {});
      this.follow(res);
      // the registry says how much it kept; a short answer (a cut on its side) resumes from there
      const acked = ackedEnd(res);
      this.sent = acked !== undefined && acked >= from && acked < to ? acked : to;
      return this.sent;
    } catch (err) {
      if (!(err instanceof TransportError) || ++this.cuts > 5) throw err;
      const acked = await this.status();
      if (acked < from || acked > to) throw err;
      this.sent = acked;
      return acked;
    }
  }

  /** the closing PUT ?digest=, carrying the whole blob when nothing was PATCHed (monolithic upload) */
  async finish(digest: string, body: Uint8Array | Blob | undefined): Promise<void> {
    const url = new URL(this.location);
    url.searchParams.set("digest", digest);
    const len = body instanceof Blob ? body.size : (body?.byteLength ?? 0);
    const res = await this.client.request(url.toString(), {
      method: "PUT",
      scopes: this.scopes,
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(len) },
      body,
    });
    await res.body?.cancel().catch(() => {});
    if (res.status !== 201 && res.status !== 204) throw new RegistryError(`finishing upload of ${digest}: unexpected status ${res.status}`, res.status);
  }

  /** GET <upload url>: the registry's "Range: 0-N" tells how many bytes it holds */
  private async status(): Promise<number> {
    const res = await this.client.request(this.location, { scopes: this.scopes, accept: [204] });
    await res.body?.cancel().catch(() => {});
    this.follow(res);
    return ackedEnd(res) ?? 0;
  }

  private follow(res: Response): void {
    const loc = res.headers.get("location");
    if (loc) this.location = this.client.url(loc);
  }

  async commit(expectedSize?: number, expectedDigest?: string): Promise<string> {
    const digest = expectedDigest ?? this.desc.digest;
    const size = expectedSize ?? this.desc.size;
    if (this.offset !== size) throw new DigestError(digest, `upload of ${digest}: wrote ${this.offset} bytes, expected ${size}`);
    // a blob that fit in one chunk goes up monolithically with the closing PUT
    const body = this.sent === 0 ? this.take() : (await this.flush(), undefined);
    await this.finish(digest, body);
    return digest;
  }

  async abort(): Promise<void> {
    this.buf = [];
    await this.client.request(this.location, { method: "DELETE", scopes: this.scopes, accept: [404, 405, 400] }).then((r) => r.body?.cancel()).catch(() => {});
  }
}

/** end of the acknowledged bytes from a "Range: 0-N" upload header (N+1), if present */
function ackedEnd(res: Response): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(res.headers.get("range") ?? "");
  return m ? Number(m[1]) + 1 : undefined;
}
