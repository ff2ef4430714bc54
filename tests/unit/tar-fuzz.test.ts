import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, linkSync } from "node:fs";
import { TarFormatError } from "../../src/image/tar/index.ts";
import { chunked, listTar, rmrf, run, tempDir } from "./tar-helpers.ts";

let dir = "";
const bases: Buffer[] = [];
beforeAll(() => {
  dir = tempDir("tar-fuzz");
  const src = `${dir}/src`;
  const deep = `${src}/${"a".repeat(80)}/${"b".repeat(80)}`;
  mkdirSync(deep, { recursive: true });
  writeFileSync(`${deep}/${"c".repeat(110)}`, "x".repeat(3000));
  writeFileSync(`${src}/small`, "hello");
  writeFileSync(`${src}/empty`, "");
  linkSync(`${src}/small`, `${src}/hard`);
  symlinkSync("l".repeat(120), `${src}/sym`);
  for (const fmt of ["--format=pax", "--format=gnu"]) {
    const t = `${dir}/base.tar`;
    run(["tar", fmt, "-cf", t, "-C", src, "."]);
    bases.push(readFileSync(t));
  }
});
afterAll(() => rmrf(dir));

// deterministic PRNG so a failure can be replayed
let seed = 0x2545f491;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

function headerOffsets(b: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 512 <= b.length; off += 512) {
    let s = 0;
    for (let i = 0; i < 512; i++) s += i >= 148 && i < 156 ? 32 : b[off + i]!;
    if (s !== 256 && parseInt(b.toString("latin1", off + 148, off + 155), 8) === s) out.push(off);
  }
  return out;
}

function fixChecksum(b: Buffer, off: number): void {
  b.fill(0x20, off + 148, off + 156);
  let s = 0;
  for (let i = 0; i < 512; i++) s += b[off + i]!;
  b.write(`${s.toString(8).padStart(6, "0")}\0 `, off + 148, "latin1");
}

function mutate(base: Buffer): Buffer {
  const b = Buffer.from(base);
  const heads = headerOffsets(b);
  switch (rnd(5)) {
    case 0: { // bit flips anywhere
      for (let k = 1 + rnd(8); k > 0; k--) { const i = rnd(b.length); b[i] = b[i]! ^ (1 << rnd(8)); }
      return b;
    }
    case 1: // truncation
      return b.subarray(0, rnd(b.length));
    case 2: { // garbage size field, checksum fixed so the parser gets past it
      const h = heads[rnd(heads.length)]!;
      const kinds = [
        () => b.write("77777777777\0", h + 124, "latin1"),
        () => { for (let i = 0; i < 12; i++) b[h + 124 + i] = rnd(256); },
        () => { b[h + 124] = 0x80; for (let i = 1; i < 12; i++) b[h + 124 + i] = rnd(256); },
        () => { b[h + 124] = 0xff; for (let i = 1; i < 12; i++) b[h + 124 + i] = rnd(256); },
        () => b.write(rnd(1 << 30).toString(8).padStart(11, "0") + "\0", h + 124, "latin1"),
      ];
      kinds[rnd(kinds.length)]!();
      fixChecksum(b, h);
      return b;
    }
    case 3: { // random bytes in a header, checksum fixed (type flags, pax lengths, names)
      const h = heads[rnd(heads.length)]!;
      for (let k = 1 + rnd(6); k > 0; k--) b[h + rnd(512)] = rnd(256);
      fixChecksum(b, h);
      return b;
    }
    default: { // garble the data after a pax/long-name header (record lengths, '=' and '\n')
      const h = heads[rnd(heads.length)]!;
      for (let k = 1 + rnd(4); k > 0; k--) {
        const p = h + 512 + rnd(64);
        if (p < b.length) b[p] = "0123456789 =\n\0x".charCodeAt(rnd(15));
      }
      return b;
    }
  }
}

test("2000 mutated archives: entries or TarFormatError, quickly, nothing else", async () => {
  let ok = 0, refused = 0;
  let worst = 0;
  for (let i = 0; i < 2000; i++) {
    const input = mutate(bases[i % bases.length]!);
    const t0 = performance.now();
    try {
      await listTar(chunked(input, () => 1 + rnd(700)), true);
      ok++;
    } catch (e) {
      if (!(e instanceof TarFormatError)) throw new Error(`case ${i}: ${(e as Error)?.stack ?? e}`);
      expect(e.message).toMatch(/^tar: /);
      refused++;
    }
    worst = Math.max(worst, performance.now() - t0);
  }
  expect(ok + refused).toBe(2000);
  expect(refused).toBeGreaterThan(100);
  expect(worst).toBeLessThan(1000);
}, 120_000);
