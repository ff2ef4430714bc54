/**
 * Images with plain-tar layers (`commit --compression none`, a legacy `docker save` loaded, a registry
 * that holds one) against real docker-registry instances on 127.0.0.1, skopeo and GNU gzip as the
 * independent judges: push sends gzip layers with correct digests, the image keeps its ID and switches
 * to the gzip manifest locally, so a second push (to any registry) compresses nothing; the compression
 * is deterministic; save of a plain image is read by skopeo and umoci; a plain image in a registry pulls
 * and runs; and a push killed at any moment leaves a working image.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunkerCommand } from "../helpers/fixture.ts";
import { busyboxFiles, layerTar, makeTestImage } from "../helpers/registry-image.ts";
import { runBunker, startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { TestHarness } from "./commit-harness.ts";

const OCI_TAR = "application/vnd.oci.image.layer.v1.tar";
const OCI_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

let reg: TestRegistry;
let reg2: TestRegistry;
let tmp: string;
const h = new TestHarness("pushgz");
const sh = (cmd: string[], stdin?: Uint8Array) => Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", ...(stdin ? { stdin } : {}) });
const sha = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
const blobDir = (root: string) => join(root, "content", "blobs", "sha256");
const blobs = (root: string) => readdirSync(blobDir(root)).sort();

/** the manifest a local name points at, read straight from the store's files */
async function localManifest(root: string, name: string): Promise<{ digest: string; doc: { config: { digest: string }; layers: { mediaType: string; digest: string; size: number }[] } }> {
  const { ImageIndex } = await import("../../src/image/index.ts");
  const rec = new ImageIndex(join(root, "images")).get(name);
  if (!rec) throw new Error(`no local name ${name}`);
  return { digest: rec.target.digest, doc: JSON.parse(readFileSync(join(blobDir(root), rec.target.digest.slice(7)), "utf8")) };
}

function rawManifest(ref: string): { config: { digest: string }; layers: { mediaType: string; digest: string; size: number }[] } {
  const r = sh(["skopeo", "inspect", "--tls-verify=false", "--raw", `docker://${ref}`]);
  if (r.exitCode !== 0) throw new Error(`skopeo inspect --raw ${ref}: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

/**
 * skopeo copies the image into an OCI layout (verifying every blob's digest on the way); each layer
 * must then be a gzip stream that GNU gzip decompresses to the config's diff ID.
 */
function judgeGzipLayers(ref: string, dir: string): void {
  const c = sh(["skopeo", "copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${dir}:x`]);
  expect(c.stderr.toString()).toBe("");
  expect(c.exitCode).toBe(0);
  const m = rawManifest(ref);
  const cfg = JSON.parse(readFileSync(join(dir, "blobs", "sha256", m.config.digest.slice(7)), "utf8"));
  m.layers.forEach((l, i) => {
    const gz = readFileSync(join(dir, "blobs", "sha256", l.digest.slice(7)));
    expect(sha(gz)).toBe(l.digest);
    expect(gz.length).toBe(l.size);
    const d = sh(["gzip", "-dc"], gz);
    expect(d.exitCode).toBe(0);
    expect(sha(new Uint8Array(d.stdout))).toBe(cfg.rootfs.diff_ids[i]);
  });
}

/** pushes an image to a registry with plain HTTP, layers as they are (what another tool may do) */
async function rawPush(host: string, repo: string, tag: string, blobsToSend: Uint8Array[], manifest: Uint8Array, mediaType: string): Promise<void> {
  for (const b of blobsToSend) {
    const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    expect(start.status).toBe(202);
    const loc = new URL(start.headers.get("location")!, `http://${host}`);
    loc.searchParams.set("digest", sha(b));
    const put = await fetch(loc, { method: "PUT", headers: { "Content-Type": "application/octet-stream" }, body: b });
    expect(put.status).toBe(201);
  }
  const put = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: "PUT", headers: { "Content-Type": mediaType }, body: manifest });
  expect(put.status).toBe(201);
}

beforeAll(async () => {
  [reg, reg2] = await Promise.all([startRegistry(), startRegistry()]);
  tmp = mkdtempSync(join(tmpdir(), "bunker-e2e-pushgz-"));
  await h.setup();
}, 60_000);
afterEach(async () => {
  await h.removeAll();
  expect(h.processes()).toEqual([]);
  expect(h.mounts()).toEqual([]);
});
afterAll(async () => {
  await h.teardown();
  await Promise.all([reg?.stop(), reg2?.stop()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe("a committed plain-tar layer", () => {
  let ref: string;
  let id: string;
  let pushed: string;
  let plainDigest: string;

  test("commit --compression none, push: gzip layers with correct digests, same image ID; pulls and runs elsewhere", async () => {
    await h.changed("plain", "mkdir /data && seq 1 300000 > /data/seq && dd if=/dev/urandom of=/data/rnd bs=64k count=32 2>/dev/null && echo committed-plain > /data/hello");
    ref = `${reg.host}/pushgz/app:1`;
    await h.ok(["commit", "--compression", "none", "plain", ref]);
    id = await h.ok(["image", "inspect", "--format", "{{.Id}}", ref]);
    const before = await localManifest(h.root, ref);
    const top = before.doc.layers.at(-1)!;
    expect(top.mediaType).toBe(OCI_TAR);
    plainDigest = top.digest;
    // a plain save made before the push, for the determinism check below
    const save = await h.raw(["save", "-o", join(tmp, "plain.tar"), ref]);
    expect(save.stderr).toBe("");

    const p = await h.bunker(["push", ref]);
    expect(p.stderr).toBe("");
    expect(p.code).toBe(0);
    const m = rawManifest(ref);
    expect(m.layers.map((l) => l.mediaType)).toEqual(before.doc.layers.map(() => OCI_GZIP));
    expect(m.config.digest).toBe(id);
    pushed = /digest: (sha256:[a-f0-9]{64})/.exec(p.stdout)![1]!;
    // progress names the layer by its tar's short digest (its diff ID, as Docker does)
    expect(p.stdout).toContain(`${plainDigest.slice(7, 19)}: Pushed`);
    judgeGzipLayers(ref, join(tmp, "judge1"));

    // recorded locally: the name is on the pushed manifest, the image ID is unchanged, the plain blob is gone
    const after = await localManifest(h.root, ref);
    expect(after.digest).toBe(pushed);
    expect(after.doc.config.digest).toBe(id);
    expect(await h.ok(["image", "inspect", "--format", "{{.Id}}", ref])).toBe(id);
    expect(blobs(h.root)).not.toContain(plainDigest.slice(7));
    expect(readdirSync(join(h.root, "leases")).filter((f) => f.endsWith(".lease"))).toEqual([]);
    expect(readdirSync(join(h.root, "content", "ingest"))).toEqual([]);
    // the local image still runs (its snapshot did not change)
    expect(await h.ok(["run", "--rm", ref, "cat", "/data/hello"])).toBe("committed-plain");

    const other = new TestHarness("pushgz-pull");
    try {
      await other.setup();
      await other.ok(["pull", ref]);
      expect(await other.ok(["image", "inspect", "--format", "{{.Id}}", ref])).toBe(id);
      expect(await other.ok(["run", "--rm", ref, "sh", "-c", "cat /data/hello; wc -l < /data/seq"])).toBe("committed-plain\n300000");
    } finally {
      await other.teardown();
    }
  }, 120_000);

  test("the second push compresses nothing: same digests, layers exist; another registry gets the same bytes", async () => {
    const gzTop = (await localManifest(h.root, ref)).doc.layers.at(-1)!;
    const st = statSync(join(blobDir(h.root), gzTop.digest.slice(7)));
    const before = blobs(h.root);
    const t0 = performance.now();
    const again = await h.bunker(["push", ref]);
    const ms = performance.now() - t0;
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${gzTop.digest.slice(7, 19)}: Layer already exists`);
    expect(again.stdout).toContain(`1: digest: ${pushed}`);
    expect(ms).toBeLessThan(3000);
    expect(blobs(h.root)).toEqual(before);

    const elsewhere = `${reg2.host}/other/app:2`;
    await h.ok(["tag", ref, elsewhere]);
    const p2 = await h.bunker(["push", elsewhere]);
    expect(p2.code).toBe(0);
    expect(p2.stdout).toContain(`2: digest: ${pushed}`);
    expect(p2.stdout).toContain(`${gzTop.digest.slice(7, 19)}: Pushed`);
    expect(blobs(h.root)).toEqual(before);
    // the gzip blob was not written again
    const st2 = statSync(join(blobDir(h.root), gzTop.digest.slice(7)));
    expect([st2.ino, st2.mtimeMs]).toEqual([st.ino, st.mtimeMs]);
    expect(rawManifest(elsewhere)).toEqual(rawManifest(ref));
  }, 60_000);

  test("deterministic: the same plain image loaded into another root pushes to the same digests", async () => {
    const root = join(tmp, "det");
    const l = await runBunker(root, ["load", "-i", join(tmp, "plain.tar")]);
    expect(l.stderr).toBe("");
    expect(l.code).toBe(0);
    expect((await localManifest(root, ref)).doc.layers.at(-1)!.mediaType).toBe(OCI_TAR);
    const name = `${reg2.host}/det/app:1`;
    expect((await runBunker(root, ["tag", ref, name])).code).toBe(0);
    const p = await runBunker(root, ["push", name]);
    expect(p.stderr).toBe("");
    expect(p.stdout).toContain(`1: digest: ${pushed}`);
    expect(blobs(root)).not.toContain(plainDigest.slice(7));
  }, 60_000);
});

describe("save of a plain-tar image", () => {
  test("skopeo reads it as docker-archive and OCI; umoci unpacks it; load restores the same manifest", async () => {
    const src = join(tmp, "save-src");
    const name = "localhost:5000/plain/save:v1";
    const img = await makeTestImage(src, name, { layers: [busyboxFiles(), { "etc/motd": "plain saved\n" }], compression: "none" });
    const file = join(tmp, "plain-save.tar");
    const s = await runBunker(src, ["save", "-o", file, name]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    const da = sh(["skopeo", "inspect", `docker-archive:${file}`]);
    expect(da.stderr.toString()).toBe("");
    expect(JSON.parse(da.stdout.toString()).Layers).toEqual(img.layers.map((l) => l.digest));
    const oci = join(tmp, "plain-oci");
    mkdirSync(oci);
    expect(sh(["tar", "-xf", file, "-C", oci]).exitCode).toBe(0);
    const oi = sh(["skopeo", "inspect", `oci:${oci}:v1`]);
    expect(oi.stderr.toString()).toBe("");
    expect(JSON.parse(oi.stdout.toString()).Digest).toBe(img.manifest.digest);
    const bundle = join(tmp, "plain-bundle");
    const u = sh(["umoci", "unpack", "--image", `${oci}:v1`, bundle]);
    expect(u.stderr.toString()).toBe("");
    expect(u.exitCode).toBe(0);
    expect(readFileSync(join(bundle, "rootfs", "etc", "motd"), "utf8")).toBe("plain saved\n");
    const cp = sh(["skopeo", "copy", `docker-archive:${file}`, `oci:${join(tmp, "plain-oci2")}:v1`]);
    expect(cp.exitCode).toBe(0);
    const dst = join(tmp, "save-dst");
    const l = await runBunker(dst, ["load", "-i", file]);
    expect(l.code).toBe(0);
    expect((await localManifest(dst, name)).digest).toBe(img.manifest.digest);
  }, 60_000);
});

describe("a plain-tar image another tool put in a registry", () => {
  test("pulls and runs; pushing it on converts it and keeps where it came from", async () => {
    const tars = [layerTar(busyboxFiles()), layerTar({ "etc/motd": "from elsewhere\n" })];
    const diffIds = tars.map(sha);
    const config = new TextEncoder().encode(
      JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/bin/busybox", "cat", "/etc/motd"] }, rootfs: { type: "layers", diff_ids: diffIds } }),
    );
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: sha(config), size: config.length },
        layers: tars.map((t) => ({ mediaType: "application/vnd.docker.image.rootfs.diff.tar", digest: sha(t), size: t.length })),
      }),
    );
    await rawPush(reg.host, "foreign/plain", "v1", [...tars, config], manifest, "application/vnd.docker.distribution.manifest.v2+json");
    const ref = `${reg.host}/foreign/plain:v1`;
    expect(rawManifest(ref).layers.map((l) => l.mediaType)).toEqual(["application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.diff.tar"]);

    const root = join(tmp, "foreign");
    const p = await runBunker(root, ["pull", ref]);
    expect(p.stderr).toBe("");
    expect(p.stdout).toContain(`Digest: ${sha(manifest)}`);
    const run = await runBunker(root, ["run", "--rm", ref]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("from elsewhere\n");

    const on = `${reg2.host}/foreign/converted:v1`;
    expect((await runBunker(root, ["tag", ref, on])).code).toBe(0);
    const push = await runBunker(root, ["push", on]);
    expect(push.stderr).toBe("");
    const m = rawManifest(on);
    expect(m.layers.map((l) => l.mediaType)).toEqual(["application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip"]);
    judgeGzipLayers(on, join(tmp, "judge-foreign"));
    const digests = await runBunker(root, ["image", "inspect", "--format", "{{json .RepoDigests}}", ref]);
    expect(digests.stdout).toContain(`${reg.host}/foreign/plain@${sha(manifest)}`);
    const again = await runBunker(root, ["run", "--rm", ref]);
    expect(again.stdout).toBe("from elsewhere\n");
    // the pulled-by manifest stays (RepoDigests names it); the plain layers are gone
    expect(blobs(root)).toContain(sha(manifest).slice(7));
    for (const t of tars) expect(blobs(root)).not.toContain(sha(t).slice(7));
  }, 60_000);
});

describe("crash safety", () => {
  test("a push killed at any moment leaves a working image; the next push finishes and cleans up", async () => {
    const template = join(tmp, "kill-template");
    const name = `${reg.host}/kill/app:1`;
    const rnd = new Uint8Array(8 << 20);
    for (let i = 0; i < rnd.length; i += 65536) crypto.getRandomValues(rnd.subarray(i, i + 65536));
    const img = await makeTestImage(template, name, { layers: [busyboxFiles(), { "data/text": "some text to compress\n".repeat(2_000_000), "data/rnd": rnd }], compression: "none" });
    // how long an uninterrupted first push takes, so the kills spread over all of it
    const timing = join(tmp, "kill-timing");
    cpSync(template, timing, { recursive: true });
    const t0 = performance.now();
    expect((await runBunker(timing, ["push", name])).code).toBe(0);
    const full = performance.now() - t0;
    const seen = new Set<string>();
    const states = new Set<string>();
    for (const frac of [0.05, 0.15, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 1.0, 1.5]) {
      const root = join(tmp, `kill-${frac}`);
      cpSync(template, root, { recursive: true });
      const proc = Bun.spawn([...bunkerCommand(), "--root", root, "--run-root", join(root, "run"), "push", name], { stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(full * frac);
      proc.kill("SIGKILL");
      await proc.exited;
      const leases = existsSync(join(root, "leases")) ? readdirSync(join(root, "leases")).filter((f) => f.endsWith(".lease")) : [];
      const ingests = existsSync(join(root, "content", "ingest")) ? readdirSync(join(root, "content", "ingest")) : [];
      states.add(`${leases.length > 0 ? "mid-push" : "idle"}${ingests.length ? "+ingest" : ""}`);
      // the name still leads to a complete image with the same ID: every blob there and hashing right
      const insp = await runBunker(root, ["image", "inspect", "--format", "{{.Id}}", name]);
      expect(insp.stdout.trim()).toBe(img.config.digest);
      const m = await localManifest(root, name);
      seen.add(m.digest);
      const cfg = JSON.parse(readFileSync(join(blobDir(root), m.doc.config.digest.slice(7)), "utf8"));
      m.doc.layers.forEach((l, i) => {
        const b = readFileSync(join(blobDir(root), l.digest.slice(7)));
        expect(sha(b)).toBe(l.digest);
        // GNU gzip: the layer is several gzip members (Bun.gunzipSync stops after the first)
        expect(sha(l.mediaType === OCI_GZIP ? new Uint8Array(sh(["gzip", "-dc"], b).stdout) : b)).toBe(cfg.rootfs.diff_ids[i]);
      });
      const run = await runBunker(root, ["run", "--rm", name, "/bin/busybox", "wc", "-c", "/data/rnd"]);
      expect(run.stdout.trim()).toBe(`${rnd.length} /data/rnd`);
      // and a push afterwards completes, leaving the gzip image and no debris
      const p = await runBunker(root, ["push", name]);
      expect(p.stderr).toBe("");
      expect(p.code).toBe(0);
      const done = await localManifest(root, name);
      expect(done.doc.layers.map((l) => l.mediaType)).toEqual([OCI_GZIP, OCI_GZIP]);
      for (const l of img.layers) expect(existsSync(join(blobDir(root), l.digest.slice(7)))).toBe(false);
      expect(readdirSync(join(root, "leases")).filter((f) => f.endsWith(".lease"))).toEqual([]);
      expect(readdirSync(join(root, "content", "ingest"))).toEqual([]);
      expect(blobs(root)).toEqual(blobs(timing));
      rmSync(root, { recursive: true, force: true });
    }
    // kills landed before and after the manifest switch, and some in the middle of the work
    expect(seen.size).toBe(2);
    expect(states.has("mid-push") || states.has("mid-push+ingest")).toBe(true);
    console.log(`push ${Math.round(full)} ms; states after the kills: ${[...states].join(", ")}`);
  }, 180_000);
});
