// gzip/gunzip throughput: Bun's native zlib vs fflate (pure JS), on the same 64 MiB of tar-like data.
// This is the measurement behind "fflate is not used at run time" in the README.
import { gunzipSync as fGunzip, gzipSync as fGzip } from "fflate";
import { gunzipSync, gzipSync } from "node:zlib";

const size = 64 * 1024 * 1024;
const data = new Uint8Array(size);
// half compressible text, half random: roughly what a rootfs layer looks like to zlib
const text = new TextEncoder().encode("usr/share/doc/bunker/copyright root root 0644 ".repeat(8));
for (let i = 0; i < size / 2; i += text.length) data.set(text.subarray(0, Math.min(text.length, size / 2 - i)), i);
crypto.getRandomValues(data.subarray(size / 2, size / 2 + 65536));
for (let i = size / 2 + 65536; i < size; i += 65536) data.copyWithin(i, size / 2, size / 2 + Math.min(65536, size - i));

function mbps(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return size / 1e6 / ((performance.now() - t) / 1000);
}
const nativeZ = gzipSync(data, { level: 6 });
const fflateZ = fGzip(data, { level: 6 });
const rows = {
  "gzip native (level 6)": mbps(() => gzipSync(data, { level: 6 })),
  "gzip fflate (level 6)": mbps(() => fGzip(data, { level: 6 })),
  "gunzip native": mbps(() => gunzipSync(nativeZ)),
  "gunzip fflate": mbps(() => fGunzip(fflateZ)),
};
for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(24)} ${v.toFixed(0)} MB/s`);
console.log(`native/fflate: gzip ${(rows["gzip native (level 6)"] / rows["gzip fflate (level 6)"]).toFixed(1)}x, gunzip ${(rows["gunzip native"] / rows["gunzip fflate"]).toFixed(1)}x`);
