/**
 * Non-cryptographic content fingerprints (change detection in tree diffs, build-cache keys).
 * Two XXH64 implementations: ours in WASM (streaming, wasm/xxh64.c) and Bun's native Bun.hash.xxHash64
 * (one-shot). scripts/bench-tar measures both; file fingerprints use the native one because it was
 * faster here (it also avoids copying bytes into WASM memory). The WASM one stays for streaming use
 * (exact XXH64 across chunk boundaries) and as the reference the native result is checked against.
 */
import { closeSync, constants, openSync, readSync } from "node:fs";
import { sharedInstance } from "./wasm.ts";

/** Streaming XXH64 in WASM. One hash at a time per instance: update() calls must not interleave. */
export class Xxh64 {
  private static active: Xxh64 | null = null;
  private readonly seed: bigint;

  constructor(seed: bigint = 0n) {
    this.seed = BigInt.asUintN(64, seed);
    this.reset();
  }

  private reset(): void {
    const w = sharedInstance();
    w.xx_reset(Number(this.seed & 0xffffffffn), Number(this.seed >> 32n));
    Xxh64.active = this;
  }

  update(data: Uint8Array): this {
    if (Xxh64.active !== this) throw new Error("Xxh64: another hash is in progress on the shared instance");
    const w = sharedInstance();
    const mem = new Uint8Array(w.memory.buffer);
    const buf = w.xx_buf(), cap = w.xx_buf_size();
    for (let off = 0; off < data.length; off += cap) {
      const part = data.subarray(off, Math.min(data.length, off + cap));
      mem.set(part, buf);
      w.xx_update(part.length);
    }
    return this;
  }

  digest(): bigint {
    if (Xxh64.active !== this) throw new Error("Xxh64: another hash is in progress on the shared instance");
    const w = sharedInstance();
    w.xx_digest();
    Xxh64.active = null;
    return new DataView(w.memory.buffer).getBigUint64(w.xx_buf(), true);
  }
}

/** XXH64 of a buffer, in WASM. */
export function xxh64Wasm(data: Uint8Array, seed: bigint = 0n): bigint {
  return new Xxh64(seed).update(data).digest();
}

/** XXH64 of a buffer, native (Bun.hash). */
export function xxh64Native(data: Uint8Array, seed: bigint = 0n): bigint {
  return BigInt.asUintN(64, BigInt(Bun.hash.xxHash64(data, seed)));
}

const CHUNK = 4 << 20;

/**
 * Fingerprint of a file's content as 16 hex digits: XXH64 of the whole file when it fits one chunk
 * (4 MiB), else a chain over chunks (each chunk's hash seeds the next), which is as good for change
 * detection and keeps memory flat. Symlinks are not followed.
 */
export function fingerprintFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NOCTTY);
  try {
    let h = 0n;
    const buf = new Uint8Array(CHUNK);
    for (;;) {
      let got = 0;
      while (got < CHUNK) {
        const n = readSync(fd, buf, got, CHUNK - got, null);
        if (n === 0) break;
        got += n;
      }
      if (got === 0 && h !== 0n) break;
      h = xxh64Native(buf.subarray(0, got), h);
      if (got < CHUNK) break;
    }
    return h.toString(16).padStart(16, "0");
  } finally {
    closeSync(fd);
  }
}
