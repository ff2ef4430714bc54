/**
 * save/load: the archive is both a docker-archive and an OCI layout (skopeo and umoci read it), load reads
 * bunker's own archives, skopeo-made docker-archives and OCI archives, and a round trip keeps digests.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxFiles, makeTestImage } from "../helpers/registry-image.ts";
import { runBunker } from "../helpers/registry.ts";

let tmp: string;
let img: Awaited<ReturnType<typeof makeTestImage>>;
const src = () => join(tmp, "src");
const sh = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
const NAME = "localhost:5000/saveload/bb:v1";

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "bunker-e2e-saveload-"));
  img = await makeTestImage(src(), NAME, { layers: [busyboxFiles(), { "etc/motd": "saved\n" }] });
  await makeTestImage(src(), "docker.io/library/second:latest", { layers: [{ "etc/second": "2\n" }], compression: "zstd" });
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("save -o writes an archive skopeo reads both as docker-archive and OCI", async () => {
  const file = join(tmp, "one.tar");
  const r = await runBunker(src(), ["save", "-o", file, NAME]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const d = sh(["skopeo", "inspect", `docker-archive:${file}`]);
  expect(d.stderr.toString()).toBe("");
  expect(JSON.parse(d.stdout.toString()).Layers).toHaveLength(2);
  const o = sh(["skopeo", "inspect", `oci-archive:${file}`]);
  expect(o.stderr.toString()).toBe("");
  expect(JSON.parse(o.stdout.toString()).Digest).toBe(img.manifest.digest);
  // umoci reads the OCI layout once unpacked from the tar
  const layout = join(tmp, "layout");
  mkdirSync(layout);
  expect(sh(["tar", "-xf", file, "-C", layout]).exitCode).toBe(0);
  const ls = sh(["umoci", "ls", "--layout", layout]);
  expect(ls.stderr.toString()).toBe("");
  expect(ls.stdout.toString().trim()).toBe("v1");
  const unpacked = join(tmp, "bundle");
  const u = sh(["umoci", "raw", "unpack", "--rootless", "--image", `${layout}:v1`, unpacked]);
  expect(u.exitCode).toBe(0);
  expect(await Bun.file(join(unpacked, "etc", "motd")).text()).toBe("saved\n");
});

test("load -i restores the same manifest, names and snapshots", async () => {
  const file = join(tmp, "two.tar");
  expect((await runBunker(src(), ["save", "-o", file, NAME, "second"])).code).toBe(0);
  const dst = join(tmp, "dst");
  const r = await runBunker(dst, ["load", "-i", file]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`Loaded image: ${NAME}\nLoaded image: second:latest\n`);
  expect(readdirSync(join(dst, "content", "blobs", "sha256"))).toContain(img.manifest.digest.slice(7));
  // pushing from the loaded root proves manifest + blobs are all there: saving again gives equal bytes
  const again = join(tmp, "again.tar");
  expect((await runBunker(dst, ["save", "-o", again, NAME, "second"])).code).toBe(0);
  expect(Bun.hash(await Bun.file(again).bytes())).toBe(Bun.hash(await Bun.file(file).bytes()));
});

test("save to stdout piped into load on stdin (image alias)", async () => {
  // a real pipe between two processes, as in `bunker save x | bunker load`
  const bin = process.env.BUNKER_BIN ? [process.env.BUNKER_BIN] : [process.execPath, join(import.meta.dir, "..", "..", "src", "cli", "main.ts")];
  const saver = Bun.spawn([...bin, "--root", src(), "save", NAME], { stdout: "pipe", stderr: "pipe" });
  const dst = join(tmp, "piped");
  const loader = Bun.spawn([...bin, "--root", dst, "image", "load"], { stdin: saver.stdout, stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(loader.stdout).text(), loader.exited, saver.exited]);
  expect(code).toBe(0);
  expect(out).toBe(`Loaded image: ${NAME}\n`);
});

test("load reads skopeo's docker-archive and OCI archives", async () => {
  const file = join(tmp, "one.tar");
  const dockerArchive = join(tmp, "skopeo-docker.tar");
  expect(sh(["skopeo", "copy", `oci-archive:${file}`, `docker-archive:${dockerArchive}:example.com/sk/bb:v9`]).exitCode).toBe(0);
  const a = await runBunker(join(tmp, "sk1"), ["load", "-i", dockerArchive]);
  expect(a.stderr).toBe("");
  expect(a.stdout).toBe("Loaded image: example.com/sk/bb:v9\n");
  const ociArchive = join(tmp, "skopeo-oci.tar");
  expect(sh(["skopeo", "copy", `docker-archive:${dockerArchive}`, `oci-archive:${ociArchive}:v9`]).exitCode).toBe(0);
  const b = await runBunker(join(tmp, "sk2"), ["load", "-i", ociArchive]);
  expect(b.stderr).toBe("");
  expect(b.stdout).toMatch(/^Loaded image ID: sha256:[a-f0-9]{64}\n$/);
});

test("bad inputs: unknown image, not an archive, a corrupted blob", async () => {
  const r = await runBunker(src(), ["save", "-o", join(tmp, "x.tar"), "nope:v1"]);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe("No such image: nope:v1");
  expect(readdirSync(tmp).filter((f) => f.startsWith("x.tar"))).toEqual([]);
  const junk = join(tmp, "junk.tar");
  await Bun.write(junk, "this is not a tar file at all".repeat(40));
  const l = await runBunker(join(tmp, "junk"), ["load", "-i", junk]);
  expect(l.code).toBe(1);
  expect(l.stderr.trim().split("\n")).toHaveLength(1);
  // flip a byte inside a blob: the blob's name is its digest, so load refuses it
  const good = await Bun.file(join(tmp, "one.tar")).bytes();
  const bad = new Uint8Array(good);
  bad[3000] = bad[3000]! ^ 0xff;
  await Bun.write(join(tmp, "bad.tar"), bad);
  const c = await runBunker(join(tmp, "bad"), ["load", "-i", join(tmp, "bad.tar")]);
  expect(c.code).toBe(1);
  expect(c.stderr).toContain("digest");
  expect(readdirSync(join(tmp, "bad", "images")).filter((f) => f.endsWith(".json"))).toEqual([]);
  expect(readdirSync(join(tmp, "bad", "content", "blobs", "sha256"))).toEqual([]);
});
