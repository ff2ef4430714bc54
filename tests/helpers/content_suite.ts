/**
 * Conformance suite for ContentStore implementations (containerd's content testsuite): every backend and
 * fake runs the same checks. Call `contentSuite("local", makeStore)` inside a test file.
 */
import { describe, expect, test } from "bun:test";
import { copyToStore, sha256Digest } from "../../src/image/content/copy.ts";
import { BlobNotFoundError, DigestMismatchError, IngestLockedError, InvalidDigestError, SizeMismatchError } from "../../src/image/content/errors.ts";
import type { ContentStore, IngestManager } from "../../src/image/content/types.ts";

export type StoreUnderTest = ContentStore & IngestManager;

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function streamOf(data: Uint8Array, chunk = 1000): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.length) return c.close();
      c.enqueue(data.slice(off, off + chunk));
      off += chunk;
    },
  });
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

export function contentSuite(name: string, makeStore: () => Promise<StoreUnderTest> | StoreUnderTest): void {
  describe(`content store conformance: ${name}`, () => {
    test("write, commit with size and digest, read back", async () => {
      const store = await makeStore();
      const data = bytes(10_000);
      const w = await store.writer("ref-a");
      expect(w.offset).toBe(0);
      await w.write(data.subarray(0, 4000));
      await w.write(data.subarray(4000));
      const dgst = await w.commit(data.length, sha256Digest(data));
      expect(dgst).toBe(sha256Digest(data));
      expect(await store.info(dgst)).toEqual({ digest: dgst, size: data.length });
      expect(await store.readBytes(dgst)).toEqual(data);
      expect(await readAll(store.readStream(dgst))).toEqual(data);
      expect(await readAll(store.readStream(dgst, 9000))).toEqual(data.subarray(9000));
      expect((await store.list()).map((b) => b.digest)).toContain(dgst);
      expect(await store.status("ref-a")).toBeNull();
    });

    test("commit without expectations returns the digest", async () => {
      const store = await makeStore();
      const w = await store.writer("ref-b");
      await w.write(new TextEncoder().encode("hello"));
      expect(await w.commit()).toBe(sha256Digest("hello"));
    });

    test("wrong digest is rejected and nothing is kept", async () => {
      const store = await makeStore();
      const data = bytes(5000, 2);
      const wrong = sha256Digest("something else");
      const w = await store.writer("ref-c");
      await w.write(data);
      await expect(w.commit(data.length, wrong)).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await store.info(sha256Digest(data))).toBeNull();
      expect(await store.info(wrong)).toBeNull();
      expect(await store.status("ref-c")).toBeNull();
      expect(await store.list()).toEqual([]);
    });

    test("wrong size is rejected and nothing is kept", async () => {
      const store = await makeStore();
      const data = bytes(5000, 3);
      await expect(copyToStore(await store.writer("ref-d"), streamOf(data), { size: 4999, digest: sha256Digest(data) })).rejects.toBeInstanceOf(
        SizeMismatchError,
      );
      expect(await store.info(sha256Digest(data))).toBeNull();
      expect(await store.listIngests()).toEqual([]);
    });

    test("an unfinished ingest resumes by ref", async () => {
      const store = await makeStore();
      const data = bytes(50_000, 4);
      let pulls = 0;
      const broken = new ReadableStream<Uint8Array>({
        pull(c) {
          if (pulls++ === 0) c.enqueue(data.slice(0, 20_000));
          else c.error(new Error("connection reset"));
        },
      });
      await expect(copyToStore(await store.writer("ref-e"), broken)).rejects.toThrow("connection reset");
      expect((await store.status("ref-e"))?.offset).toBe(20_000);
      const w = await store.writer("ref-e");
      expect(w.offset).toBe(20_000);
      let askedFrom = -1;
      const dgst = await copyToStore(w, (off) => ((askedFrom = off), streamOf(data.subarray(off))), { size: data.length, digest: sha256Digest(data) });
      expect(askedFrom).toBe(20_000);
      expect(await store.readBytes(dgst)).toEqual(data);
    });

    test("a resumed writer given the whole stream skips what it has", async () => {
      const store = await makeStore();
      const data = bytes(30_000, 5);
      const w1 = await store.writer("ref-f");
      await w1.write(data.subarray(0, 12_345));
      await (w1 as unknown as { close(): Promise<void> }).close();
      const dgst = await copyToStore(await store.writer("ref-f"), streamOf(data, 7000), { size: data.length, digest: sha256Digest(data) });
      expect(await store.readBytes(dgst)).toEqual(data);
    });

    test("a ref is locked while a writer holds it", async () => {
      const store = await makeStore();
      const w = await store.writer("ref-g");
      await expect(store.writer("ref-g")).rejects.toBeInstanceOf(IngestLockedError);
      await w.abort();
      const again = await store.writer("ref-g");
      expect(again.offset).toBe(0);
      await again.abort();
      expect(await store.status("ref-g")).toBeNull();
    });

    test("concurrent commits of the same blob all succeed", async () => {
      const store = await makeStore();
      const data = bytes(100_000, 6);
      const want = sha256Digest(data);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.writer(`same-${i}`).then((w) => copyToStore(w, streamOf(data, 3333), { size: data.length, digest: want }))),
      );
      expect(new Set(results)).toEqual(new Set([want]));
      expect((await store.list()).filter((b) => b.digest === want)).toHaveLength(1);
      expect(await store.readBytes(want)).toEqual(data);
      expect(await store.listIngests()).toEqual([]);
    });

    test("committing a blob that exists is success", async () => {
      const store = await makeStore();
      const data = bytes(2000, 7);
      const d1 = await copyToStore(await store.writer("x1"), streamOf(data));
      const d2 = await copyToStore(await store.writer("x2"), streamOf(data), { digest: d1 });
      expect(d2).toBe(d1);
    });

    test("delete removes a blob; a missing blob is not found", async () => {
      const store = await makeStore();
      const dgst = await copyToStore(await store.writer("del"), streamOf(bytes(100, 8)));
      await store.delete(dgst);
      expect(await store.info(dgst)).toBeNull();
      await expect(store.readBytes(dgst)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.delete(dgst)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    test("digests that are not sha256 hex are refused", async () => {
      const store = await makeStore();
      await expect(store.info("sha256:../../etc/passwd")).rejects.toBeInstanceOf(InvalidDigestError);
      await expect(store.info("md5:abc")).rejects.toBeInstanceOf(InvalidDigestError);
    });

    test("abortIngest drops an unfinished ingest", async () => {
      const store = await makeStore();
      const w = await store.writer("ab");
      await w.write(bytes(10));
      await (w as unknown as { close(): Promise<void> }).close();
      expect((await store.listIngests()).map((s) => s.ref)).toEqual(["ab"]);
      await store.abortIngest("ab");
      expect(await store.listIngests()).toEqual([]);
    });
  });
}
