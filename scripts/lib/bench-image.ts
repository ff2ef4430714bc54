/**
 * Builds the registry benchmark's image as a docker-archive: three gzip layers made from system
 * directories (~220 MB, ~9k files, like a minbase rootfs), named with every name given on the command
 * line. Usage: bun scripts/lib/bench-image.ts OUT.tar NAME...
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { TarWriter } from "../../src/image/tar/writer.ts";

const [out, ...names] = process.argv.slice(2);
if (!out || names.length === 0) throw new Error("usage: bench-image.ts OUT.tar NAME...");
const dirs = ["usr/share/doc", "usr/lib/python3", "usr/lib/python3.11"];

const sha = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
const layers: { blob: Uint8Array; diffId: string }[] = [];
for (const d of dirs) {
  const r = Bun.spawnSync(["tar", "-C", "/", "--sort=name", "--mtime=@1700000000", "--owner=0", "--group=0", "--numeric-owner", "-cf", "-", d], { stdout: "pipe", maxBuffer: 1 << 30 });
  if (r.exitCode !== 0) throw new Error(`tar ${d}: ${r.stderr.toString()}`);
  const tar = r.stdout as Uint8Array<ArrayBuffer>;
  layers.push({ blob: Bun.gzipSync(tar, { level: 6 }), diffId: sha(tar) });
}
const config = new TextEncoder().encode(
  JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/bin/sh"] }, rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) }, created: "2023-11-14T22:13:20Z" }),
);
const w = new TarWriter();
const fd = openSync(out, "w");
const put = (name: string, data: Uint8Array) => {
  for (const c of w.entry({ name, type: "file", mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0, mtimeNsec: 0 }, data)) writeSync(fd, c);
};
const path = (b: Uint8Array) => `blobs/sha256/${sha(b).slice(7)}`;
for (const l of layers) put(path(l.blob), l.blob);
put(path(config), config);
put("manifest.json", new TextEncoder().encode(JSON.stringify([{ Config: path(config), RepoTags: names, Layers: layers.map((l) => path(l.blob)) }])));
writeSync(fd, w.finish());
closeSync(fd);
const total = layers.reduce((n, l) => n + l.blob.length, 0);
console.log(`image: ${layers.length} layers, ${(total / 1e6).toFixed(1)} MB compressed`);
