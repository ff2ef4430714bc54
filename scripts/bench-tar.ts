/**
 * Benchmarks for src/image/tar (run through scripts/bench-tar). Prints MB/s and ratios; best of N runs
 * so page-cache warmup does not count against whoever runs first.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { TarParser, listTarFile, readTar } from "../src/image/tar/reader.ts";
import { encodeHeader } from "../src/image/tar/writer.ts";
import { xxh64Native, xxh64Wasm } from "../src/image/tar/fingerprint.ts";
import { tarDirectory } from "../src/image/tar/tardir.ts";
import { applyLayer } from "../src/image/tar/apply.ts";
import type { TarEntry } from "../src/image/tar/types.ts";
import { linuxSys } from "../src/sys/index.ts";

const RUNS = Number(process.env.RUNS ?? 3);
const SRC = process.env.BENCH_TAR_SRC ?? "usr/share";
const archive = `.bench/${SRC.replace(/\//g, "_")}.tar`;

function best<T>(label: string, f: () => T): [number, T] {
  let t = Infinity, r!: T;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    r = f();
    t = Math.min(t, performance.now() - t0);
  }
  return [t, r];
}
async function bestAsync<T>(f: () => Promise<T>): Promise<[number, T]> {
  let t = Infinity, r!: T;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    r = await f();
    t = Math.min(t, performance.now() - t0);
  }
  return [t, r];
}
const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;

if (!existsSync(archive)) {
  mkdirSync(".bench", { recursive: true });
  console.log(`creating ${archive} from /${SRC} ...`);
  const r = Bun.spawnSync(["tar", "--xattrs", "-cf", `${archive}.tmp`, "-C", "/", SRC]);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`tar failed: ${r.stderr}`);
  Bun.spawnSync(["mv", `${archive}.tmp`, archive]);
}
const size = statSync(archive).size;
console.log(`archive: ${archive}, ${(size / 1e6).toFixed(0)} MB`);

// --- parsing ---
const [tGnu] = best("gnu", () => Bun.spawnSync(["tar", "-tf", archive], { stdout: "ignore" }));
const [tGnuRead] = best("gnu-read", () => Bun.spawnSync(["sh", "-c", `cat ${archive} | tar -tf -`], { stdout: "ignore" }));
const [tSkip] = await bestAsync(async () => {
  let entries = 0;
  for await (const _ of readTar(Bun.file(archive).stream())) entries++;
  return entries;
});
const [tList] = best("list", () => {
  let entries = 0;
  for (const _ of listTarFile(archive)) entries++;
  return entries;
});
const [tBody, bodyBytes] = await bestAsync(async () => {
  let bytes = 0;
  for await (const { body } of readTar(Bun.file(archive).stream())) for await (const c of body) bytes += c.length;
  return bytes;
});
const data = new Uint8Array(await Bun.file(archive).arrayBuffer()); // in memory: measures the parser, not I/O
const [tSync, n] = best("sync", () => {
  const p = new TarParser();
  let entries = 0;
  const step = 1 << 20;
  for (let off = 0; off < data.length; off += step) {
    for (const ev of p.push(data.subarray(off, off + step))) if (ev.type === "entry") entries++;
  }
  return entries;
});
console.log(`\nparse ${n} entries, ${(size / 1e6).toFixed(0)} MB`);
console.log(`  GNU tar -tf (file, seeks over bodies)   ${tGnu.toFixed(0)} ms  ${mbps(size, tGnu)}`);
console.log(`  GNU tar -tf - (pipe, reads everything)  ${tGnuRead.toFixed(0)} ms  ${mbps(size, tGnuRead)}`);
console.log(`  TarParser.push, in memory               ${tSync.toFixed(0)} ms  ${mbps(size, tSync)}  (x${(tGnuRead / tSync).toFixed(2)} vs tar -tf -)`);
console.log(`  readTar from file, bodies skipped       ${tSkip.toFixed(0)} ms  ${mbps(size, tSkip)}  (x${(tGnu / tSkip).toFixed(2)} vs tar -tf, x${(tGnuRead / tSkip).toFixed(2)} vs tar -tf -)`);
console.log(`  listTarFile (seeks over bodies)         ${tList.toFixed(0)} ms  ${mbps(size, tList)}  (x${(tGnu / tList).toFixed(2)} vs tar -tf)`);
console.log(`  readTar from file, bodies consumed      ${tBody.toFixed(0)} ms  ${mbps(size, tBody)}  (${(bodyBytes / 1e6).toFixed(0)} MB of bodies)`);

// --- header encoding: WASM vs a minimal TS ustar encoder (short names only, no pax: its best case) ---
const entries: TarEntry[] = [];
{
  const p = new TarParser();
  for (const ev of p.push(data)) if (ev.type === "entry" && entries.length < 200_000) entries.push(ev.entry);
}
const enc = new TextEncoder();
function tsHeader(e: TarEntry): Uint8Array {
  const h = new Uint8Array(512);
  enc.encodeInto(e.name.length <= 100 ? e.name : e.name.slice(0, 100), h);
  const oct = (off: number, w: number, v: number): void => {
    const s = v.toString(8).padStart(w - 1, "0");
    for (let i = 0; i < w - 1; i++) h[off + i] = s.charCodeAt(i);
  };
  oct(100, 8, e.mode); oct(108, 8, e.uid); oct(116, 8, e.gid); oct(124, 12, e.size); oct(136, 12, e.mtime);
  h[156] = 48;
  if (e.linkname) enc.encodeInto(e.linkname.slice(0, 100), h.subarray(157, 257));
  h.set([117, 115, 116, 97, 114, 0, 48, 48], 257);
  h.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  oct(148, 7, sum);
  return h;
}
const [tEncW] = best("encW", () => { for (const e of entries) encodeHeader(e); });
const [tEncT] = best("encT", () => { for (const e of entries) tsHeader(e); });
console.log(`\nheader encoding, ${entries.length} entries`);
console.log(`  WASM (tar_write.c, full ustar+pax)      ${(entries.length / tEncW / 1000).toFixed(2)} M headers/s`);
console.log(`  plain TS (ustar subset)                 ${(entries.length / tEncT / 1000).toFixed(2)} M headers/s`);

// --- xxh64 ---
const big = data.subarray(0, Math.min(data.length, 256 << 20));
const [tXw, hw] = best("xxw", () => xxh64Wasm(big));
const [tXn, hn] = best("xxn", () => xxh64Native(big));
if (hw !== hn) throw new Error("xxh64 mismatch between WASM and native");
const small: Uint8Array[] = [];
for (let off = 0; off + 4096 <= big.length && small.length < 20000; off += 4096) small.push(big.subarray(off, off + 4096));
const [tXws] = best("xxws", () => { for (const s of small) xxh64Wasm(s); });
const [tXns] = best("xxns", () => { for (const s of small) xxh64Native(s); });
console.log(`\nxxh64 (${(big.length / 1e6).toFixed(0)} MB buffer; and ${small.length} x 4 KiB)`);
console.log(`  WASM   ${mbps(big.length, tXw)}   4 KiB: ${mbps(small.length * 4096, tXws)}`);
console.log(`  Bun.hash.xxHash64 (native)  ${mbps(big.length, tXn)}   4 KiB: ${mbps(small.length * 4096, tXns)}`);

// --- whole-tree write and apply ---
const sys = linuxSys();
const tree = process.env.BENCH_TREE ?? "/usr/share/doc";
const [tDir, dirBytes] = await bestAsync(async () => {
  let b = 0;
  for await (const c of tarDirectory(tree, { sys })) b += c.length;
  return b;
});
console.log(`\ntarDirectory(${tree}): ${(dirBytes / 1e6).toFixed(0)} MB in ${tDir.toFixed(0)} ms, ${mbps(dirBytes, tDir)}`);
// through a pipe: GNU tar notices an output of /dev/null and then skips reading file contents
const [tGnuC] = best("gnuc", () => Bun.spawnSync(["sh", "-c", 'tar -cf - -C "$0" . | cat >/dev/null', tree]));
console.log(`  GNU tar -cf - | cat                   ${tGnuC.toFixed(0)} ms, ${mbps(dirBytes, tGnuC)}`);
const layer = new Uint8Array(dirBytes);
{
  let off = 0;
  for await (const c of tarDirectory(tree, { sys })) { layer.set(c, off); off += c.length; }
}
// tmpfs when there is one: measures our code rather than the disk (file creation on the ext4 here
// costs ~0.6 ms each, for GNU tar and Python alike)
const tmp = mkdtempSync(`${process.env.BENCH_APPLY_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : "/var/tmp")}/bunker-bench-`);
try {
  // Every run unpacks into a new directory and nothing is deleted until the end: ext4 without a journal
  // (as here) skips inodes freed in the last ~30 s when allocating (recently_deleted() in ialloc.c),
  // so after an rm -rf of the previous run each create cost ~0.6 ms, for GNU tar as much as for us.
  let tApply = Infinity, tGnuX = Infinity;
  for (let i = 0; i < RUNS; i++) {
    mkdirSync(`${tmp}/a${i}`);
    mkdirSync(`${tmp}/b${i}`);
    Bun.spawnSync(["sync"]); // the last run's writeback is not this run's cost
    let t0 = performance.now();
    await applyLayer([layer], `${tmp}/a${i}`, { mode: "merge", sys });
    tApply = Math.min(tApply, performance.now() - t0);
    Bun.spawnSync(["sync"]);
    t0 = performance.now();
    Bun.spawnSync(["tar", "-xf", "-", "-C", `${tmp}/b${i}`], { stdin: layer });
    tGnuX = Math.min(tGnuX, performance.now() - t0);
  }
  console.log(`applyLayer (merge) ${tApply.toFixed(0)} ms, ${mbps(dirBytes, tApply)};  GNU tar -xf ${tGnuX.toFixed(0)} ms, ${mbps(dirBytes, tGnuX)}  (x${(tApply / tGnuX).toFixed(2)} of tar's time) in ${tmp}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
