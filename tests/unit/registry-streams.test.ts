import { describe, expect, test } from "bun:test";
import { HashStream, decompress, drain, splitStream } from "../../src/engine/distribution/streams.ts";
import { chainIds, parseConfig, parseManifest, pickPlatform } from "../../src/engine/distribution/documents.ts";
import { sniffMediaType, MT } from "../../src/registry/mediatypes.ts";
import { TransportError } from "../../src/registry/errors.ts";
import { Pusher } from "../../src/registry/pusher.ts";
import type { RegistryClient } from "../../src/registry/client.ts";

const enc = (s: string) => new TextEncoder().encode(s);
function source(chunks: Uint8Array[], fail?: Error): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]!);
      else if (fail) c.error(fail);
      else c.close();
    },
  });
}
const collect = async (s: ReadableStream<Uint8Array>) => Buffer.concat(await Array.fromAsync(s)).toString();

describe("splitStream", () => {
  test("both branches see every byte", async () => {
    const { main, side } = splitStream(source([enc("ab"), enc("cd"), enc("ef")]));
    const [a, b] = await Promise.all([collect(main), collect(side)]);
    expect(a).toBe("abcdef");
    expect(b).toBe("abcdef");
  });

  test("the main branch continues once the side is released", async () => {
    const { main, side, releaseSide } = splitStream(source([enc("ab"), enc("cd"), enc("ef")]));
    // the main branch drives the source; the side reads one chunk and walks away
    const all = collect(main);
    const r = side.getReader();
    expect(Buffer.from((await r.read()).value!).toString()).toBe("ab");
    releaseSide();
    expect(await all).toBe("abcdef");
  });

  test("a source error reaches both", async () => {
    const { main, side } = splitStream(source([enc("ab")], new Error("boom")));
    const results = await Promise.allSettled([collect(main), collect(side)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  test("hash and gzip/zstd decompression", async () => {
    const data = enc("hello layer ".repeat(1000));
    for (const [c, bytes] of [["gzip", Bun.gzipSync(data)], ["zstd", Bun.zstdCompressSync(data)], ["none", data]] as const) {
      const h = new HashStream();
      await drain(decompress(source([bytes.subarray(0, 10), bytes.subarray(10)]), c).pipeThrough(h));
      expect(h.digest()).toBe(`sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`);
      expect(h.bytes).toBe(data.length);
    }
  });
});

describe("documents", () => {
  const d = (n: number) => ({ mediaType: MT.ociLayerGzip, digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: 10 });
  const manifest = { schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: d(1).digest, size: 5 }, layers: [d(2)] };

  test("media type from the document, the header, or its shape; ambiguity refused", () => {
    expect(sniffMediaType(enc(JSON.stringify(manifest)), null)).toBe(MT.ociManifest);
    expect(sniffMediaType(enc(JSON.stringify({ ...manifest, mediaType: undefined })), MT.dockerManifest)).toBe(MT.dockerManifest);
    expect(sniffMediaType(enc(JSON.stringify({ schemaVersion: 2, manifests: [] })), "application/json")).toBe(MT.ociIndex);
    expect(() => sniffMediaType(enc(JSON.stringify({ ...manifest, manifests: [] })), null)).toThrow("ambiguous");
    expect(() => sniffMediaType(enc(JSON.stringify({ schemaVersion: 1, fsLayers: [] })), null)).toThrow("schema 1");
    expect(() => sniffMediaType(enc("<html>"), null)).toThrow("not a JSON document");
  });

  test("manifest and config checks", () => {
    expect(parseManifest(enc(JSON.stringify(manifest))).layers).toHaveLength(1);
    expect(() => parseManifest(enc(JSON.stringify({ ...manifest, config: { ...manifest.config, mediaType: "application/vnd.cncf.helm.config.v1+json" } })))).toThrow("not a container image");
    expect(() => parseManifest(enc(JSON.stringify({ ...manifest, layers: [{ ...d(2), digest: "sha256:../../etc" }] })))).toThrow("bad digest");
    expect(() => parseConfig(enc(JSON.stringify({ rootfs: { type: "layers", diff_ids: [] } })), 1)).toThrow("0 diff_ids for 1 layers");
  });

  test("platform choice skips attestations and honours variants", () => {
    const idx = {
      schemaVersion: 2 as const,
      manifests: [
        { ...d(3), platform: { os: "unknown", architecture: "unknown" } },
        { ...d(4), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { ...d(5), platform: { os: "linux", architecture: "amd64" } },
      ],
    };
    expect(pickPlatform(idx, { os: "linux", architecture: "amd64" }).digest).toBe(d(5).digest);
    expect(pickPlatform(idx, { os: "linux", architecture: "arm64", variant: "v8" }).digest).toBe(d(4).digest);
    expect(() => pickPlatform(idx, { os: "linux", architecture: "riscv64" })).toThrow("no matching manifest for linux/riscv64");
  });

  test("chain IDs", () => {
    const a = `sha256:${"a".repeat(64)}`;
    const b = `sha256:${"b".repeat(64)}`;
    expect(chainIds([a, b])).toEqual([a, `sha256:${new Bun.CryptoHasher("sha256").update(`${a} ${b}`).digest("hex")}`]);
  });
});

describe("chunked upload resumes from the registry's Range after a cut", () => {
  test("PATCH cut half way: status asked, rest sent, closing PUT", async () => {
    const held: number[] = [];
    const calls: string[] = [];
    let cutOnce = true;
    const fake = {
      url: (u: string) => new URL(u, "http://reg/").toString(),
      async request(url: string, o: { method?: string; headers?: Record<string, string>; body?: Uint8Array | Blob }) {
        const m = o.method ?? "GET";
        calls.push(`${m} ${o.headers?.["Content-Range"] ?? ""}`.trim());
        if (m === "HEAD") return new Response(null, { status: 404 });
        if (m === "POST") return new Response(null, { status: 202, headers: { Location: "/v2/x/blobs/uploads/u1" } });
        if (m === "PATCH") {
          const body = o.body instanceof Blob ? new Uint8Array(await o.body.arrayBuffer()) : o.body!;
          if (cutOnce && body.length > 10) {
            cutOnce = false;
            held.push(...body.subarray(0, Math.floor(body.length / 2)));
            throw new TransportError("connection reset");
          }
          held.push(...body);
          return new Response(null, { status: 202, headers: { Location: "/v2/x/blobs/uploads/u1" } });
        }
        if (m === "GET") return new Response(null, { status: 204, headers: { Range: `0-${held.length - 1}` } });
        if (m === "PUT") {
          expect(new URL(url).searchParams.get("digest")).toBe(digest);
          return new Response(null, { status: 201 });
        }
        throw new Error(m);
      },
    } as unknown as RegistryClient;
    const data = crypto.getRandomValues(new Uint8Array(100));
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
    const pusher = new Pusher(fake, { domain: "reg", path: "x" });
    const w = await pusher.push({ mediaType: "x", digest, size: 100 });
    if (typeof w === "string") throw new Error("expected a writer");
    // force chunking by writing past the chunk size in one flush
    (w as unknown as { buf: Uint8Array[]; buffered: number }).buf.push(data);
    (w as unknown as { buffered: number }).buffered = 100;
    await (w as unknown as { flush(): Promise<void> }).flush();
    await w.commit(100, digest);
    expect(Buffer.from(held).equals(Buffer.from(data))).toBe(true);
    expect(calls).toEqual(["HEAD", "POST", "PATCH 0-99", "GET", "PATCH 50-99", "PUT"]);
  });
});

describe("file uploads", () => {
  test("pushFile: PATCH slices, resume after a cut from the reported Range, closing PUT", async () => {
    process.env.BUNKER_PUSH_CHUNK = "40";
    try {
      const held: number[] = [];
      const calls: string[] = [];
      let cut = true;
      const data = crypto.getRandomValues(new Uint8Array(100));
      const digest = `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
      const fake = {
        url: (u: string) => new URL(u, "http://reg/").toString(),
        async request(url: string, o: { method?: string; headers?: Record<string, string>; body?: Blob }) {
          const m = o.method ?? "GET";
          calls.push(`${m} ${o.headers?.["Content-Range"] ?? ""}`.trim());
          if (m === "HEAD") return new Response(null, { status: 404 });
          if (m === "POST") return new Response(null, { status: 202, headers: { Location: "/v2/x/blobs/uploads/u1" } });
          if (m === "PATCH") {
            const body = new Uint8Array(await o.body!.arrayBuffer());
            if (cut && held.length === 40) {
              cut = false;
              held.push(...body.subarray(0, 15));
              throw new TransportError("connection reset");
            }
            held.push(...body);
            return new Response(null, { status: 202 });
          }
          if (m === "GET") return new Response(null, { status: 204, headers: { Range: `0-${held.length - 1}` } });
          if (m === "PUT") {
            expect(new URL(url).searchParams.get("digest")).toBe(digest);
            return new Response(null, { status: 201 });
          }
          throw new Error(m);
        },
      } as unknown as RegistryClient;
      const r = await new Pusher(fake, { domain: "reg", path: "x" }).pushFile({ mediaType: "x", digest, size: 100 }, new Blob([data]));
      expect(r).toBe("pushed");
      expect(Buffer.from(held).equals(Buffer.from(data))).toBe(true);
      expect(calls).toEqual(["HEAD", "POST", "PATCH 0-39", "PATCH 40-79", "GET", "PATCH 55-94", "PATCH 95-99", "PUT"]);
    } finally {
      delete process.env.BUNKER_PUSH_CHUNK;
    }
  });
});
