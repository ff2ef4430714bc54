/**
 * Push and pull against a real docker-registry on 127.0.0.1, with skopeo as the independent judge of what
 * bunker pushes, and bit-for-bit comparison of what comes back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importBusybox } from "../helpers/fixture.ts";
import { busyboxFiles, makeTestImage } from "../helpers/registry-image.ts";
import { runBunker, startRegistry, type TestRegistry } from "../helpers/registry.ts";

let reg: TestRegistry;
let tmp: string;
const env = () => ({ DOCKER_CONFIG: join(tmp, "docker-config") });
const root = (name: string) => join(tmp, name);
const blobs = (r: string) => readdirSync(join(r, "content", "blobs", "sha256")).sort();
const sh = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });

beforeAll(async () => {
  reg = await startRegistry();
  tmp = mkdtempSync(join(tmpdir(), "bunker-e2e-registry-"));
});
afterAll(async () => {
  await reg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("push and pull against docker-registry", () => {
  let name: string;
  let manifestDigest: string;
  let configDigest: string;

  test("push prints docker's lines and skopeo inspects the result", async () => {
    name = `${reg.host}/e2e/bb:v1`;
    const img = await makeTestImage(root("src"), name, { layers: [busyboxFiles(), { "etc/motd": "hello\n" }], docker: true });
    manifestDigest = img.manifest.digest;
    configDigest = img.config.digest;
    const r = await runBunker(root("src"), ["push", name], { env: env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`The push refers to repository [${reg.host}/e2e/bb]`);
    expect(r.stdout).toContain(`${img.layers[0]!.digest.slice(7, 19)}: Pushed`);
    expect(r.stdout).toContain(`v1: digest: ${manifestDigest} size: ${img.manifest.size}`);
    const s = sh(["skopeo", "inspect", "--tls-verify=false", `docker://${name}`]);
    expect(s.stderr.toString()).toBe("");
    const info = JSON.parse(s.stdout.toString());
    expect(info.Digest).toBe(manifestDigest);
    expect(info.Layers).toEqual(img.layers.map((l) => l.digest));
  });

  test("pull into a fresh root gives the same image and bit-identical blobs", async () => {
    const r = await runBunker(root("dst"), ["pull", name], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("v1: Pulling from e2e/bb"); // the path in the registry, as Docker prints it
    expect(r.stdout).toContain("Pull complete");
    expect(r.stdout).toContain(`Digest: ${manifestDigest}`);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${name}`);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(name);
    expect(blobs(root("dst"))).toEqual(blobs(root("src")));
    for (const b of blobs(root("src"))) {
      expect(Bun.hash(readFileSync(join(root("dst"), "content/blobs/sha256", b)))).toBe(Bun.hash(readFileSync(join(root("src"), "content/blobs/sha256", b))));
    }
    expect(blobs(root("dst"))).toContain(configDigest.slice(7));
    const snaps = JSON.parse(readFileSync(join(root("dst"), "snapshots", "index.json"), "utf8"));
    expect(Object.keys(snaps.snapshots)).toHaveLength(2);
    const again = await runBunker(root("dst"), ["pull", "-q", name], { env: env() });
    expect(again.stdout).toBe(`${name}\n`);
    const noisy = await runBunker(root("dst"), ["pull", name], { env: env() });
    expect(noisy.stdout).toContain(`Status: Image is up to date for ${name}`);
    // Docker says "Pulling from" only once the manifest is there: never for a repository that does not exist
    const missing = await runBunker(root("dst"), ["pull", `${reg.host}/e2e/nope:v1`], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stdout).not.toContain("Pulling from");
    expect(missing.stderr).toContain("not found");
  });

  test("create/run --pull: never refuses an absent image, missing pulls once, always pulls a present one", async () => {
    const r = root("runpull");
    const never = await runBunker(r, ["create", "--pull", "never", name, "true"], { env: env() });
    expect(never.code).toBe(1); // docker's create: 1 for what the daemon refuses (run: 125)
    expect(never.stderr).toBe(`Error response from daemon: No such image: ${name}\n`);
    const missing = await runBunker(r, ["create", name, "true"], { env: env() });
    expect(missing.code).toBe(0);
    expect(missing.stderr).toContain(`Unable to find image '${name}' locally`);
    expect(missing.stderr).toContain("v1: Pulling from e2e/bb");
    expect(missing.stderr).toContain(`Status: Downloaded newer image for ${name}`);
    const present = await runBunker(r, ["create", "--pull", "missing", name, "true"], { env: env() });
    expect(present.code).toBe(0);
    expect(present.stderr).toBe("");
    const always = await runBunker(r, ["create", "--pull", "always", name, "true"], { env: env() });
    expect(always.code).toBe(0);
    expect(always.stderr).not.toContain("Unable to find image");
    expect(always.stderr).toContain("v1: Pulling from e2e/bb");
    expect(always.stderr).toContain(`Status: Image is up to date for ${name}`);
    const ids = (await runBunker(r, ["ps", "-aq"])).stdout.split("\n").filter(Boolean);
    expect(ids).toHaveLength(3);
    expect((await runBunker(r, ["rm", ...ids])).code).toBe(0);
  });

  test("pull by digest, and the image alias", async () => {
    const byDigest = `${reg.host}/e2e/bb@${manifestDigest}`;
    const r = await runBunker(root("dig"), ["image", "pull", byDigest], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${manifestDigest}: Pulling from e2e/bb`);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(byDigest);
  });

  test("second push: layers exist; push to another repository mounts them", async () => {
    const again = await runBunker(root("src"), ["push", name], { env: env() });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Layer already exists");
    // the pulled copy knows where its blobs came from, so a push elsewhere on the host mounts them
    const other = `${reg.host}/e2e/other:v2`;
    const idx = JSON.parse(readFileSync(join(root("dst"), "images", readdirSync(join(root("dst"), "images")).find((f) => f.endsWith(".json"))!), "utf8"));
    const { ImageIndex } = await import("../../src/image/index.ts");
    new ImageIndex(join(root("dst"), "images")).put(other, idx.target);
    const m = await runBunker(root("dst"), ["push", other], { env: env() });
    expect(m.code).toBe(0);
    expect(m.stdout).toContain("Mounted from e2e/bb");
    expect(sh(["skopeo", "inspect", "--tls-verify=false", `docker://${other}`]).exitCode).toBe(0);
  });

  test("skopeo copy to an OCI dir and back; bunker pulls the copy", async () => {
    const oci = join(tmp, "oci");
    let c = sh(["skopeo", "copy", "--src-tls-verify=false", `docker://${name}`, `oci:${oci}:v1`]);
    expect(c.stderr.toString()).toBe("");
    c = sh(["skopeo", "copy", "--dest-tls-verify=false", `oci:${oci}:v1`, `docker://${reg.host}/e2e/copied:v1`]);
    expect(c.exitCode).toBe(0);
    const r = await runBunker(root("copy"), ["pull", `${reg.host}/e2e/copied:v1`], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Status: Downloaded newer image");
  });

  test("zstd and uncompressed OCI layers; chunked upload", async () => {
    for (const compression of ["zstd", "none"] as const) {
      const n = `${reg.host}/e2e/${compression}:v1`;
      const rnd = crypto.getRandomValues(new Uint8Array(300_000));
      await makeTestImage(root(`src-${compression}`), n, { layers: [busyboxFiles(), { "data/random": rnd }], compression });
      const p = await runBunker(root(`src-${compression}`), ["push", n], { env: { ...env(), BUNKER_PUSH_CHUNK: "65536" } });
      expect(p.code).toBe(0);
      const r = await runBunker(root(`dst-${compression}`), ["pull", n], { env: env() });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(blobs(root(`dst-${compression}`))).toEqual(blobs(root(`src-${compression}`)));
    }
  });

  test("a multi-platform index: the host's platform, or --platform", async () => {
    const arm = `${reg.host}/e2e/multi:arm`;
    const amd = `${reg.host}/e2e/multi:amd`;
    const a = await makeTestImage(root("m-amd"), amd, { layers: [{ "etc/arch": "amd64\n" }] });
    const b = await makeTestImage(root("m-arm"), arm, { layers: [{ "etc/arch": "arm64\n" }] });
    expect((await runBunker(root("m-amd"), ["push", amd], { env: env() })).code).toBe(0);
    expect((await runBunker(root("m-arm"), ["push", arm], { env: env() })).code).toBe(0);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        { ...b.manifest, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { ...a.manifest, platform: { os: "linux", architecture: "amd64" } },
      ],
    });
    const put = await fetch(`http://${reg.host}/v2/e2e/multi/manifests/all`, { method: "PUT", headers: { "Content-Type": "application/vnd.oci.image.index.v1+json" }, body: index });
    expect(put.status).toBe(201);
    const host = await runBunker(root("m-pull"), ["pull", `${reg.host}/e2e/multi:all`], { env: env() });
    expect(host.code).toBe(0);
    const want = process.arch === "arm64" ? b : a;
    expect(blobs(root("m-pull"))).toContain(want.config.digest.slice(7));
    const other = await runBunker(root("m-pull2"), ["pull", "--platform", "linux/arm64", `${reg.host}/e2e/multi:all`], { env: env() });
    expect(other.code).toBe(0);
    expect(blobs(root("m-pull2"))).toContain(b.config.digest.slice(7));
    const none = await runBunker(root("m-pull3"), ["pull", "--platform", "linux/s390x", `${reg.host}/e2e/multi:all`], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe("no matching manifest for linux/s390x in the manifest list entries");
  });

  test("the busybox fixture: push, pull elsewhere, same image ID, and it runs", async () => {
    const name = `${reg.host}/e2e/busybox:1`;
    const id = await importBusybox({ root: root("bb-src"), run: join(root("bb-src"), "run"), dir: tmp, cleanup: () => {} }, name);
    expect((await runBunker(root("bb-src"), ["push", name], { env: env() })).code).toBe(0);
    const p = await runBunker(root("bb-dst"), ["pull", name], { env: env() });
    expect(p.code).toBe(0);
    const inspect = await runBunker(root("bb-dst"), ["image", "inspect", "--format", "{{.Id}}", name], { env: env() });
    expect(inspect.stdout.trim()).toBe(id);
    const digests = await runBunker(root("bb-dst"), ["image", "inspect", "--format", "{{json .RepoDigests}}", name], { env: env() });
    expect(digests.stdout).toContain(`${reg.host}/e2e/busybox@sha256:`);
    const run = await runBunker(root("bb-dst"), ["run", "--rm", name, "echo", "pulled and running"], { env: env() });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("pulled and running\n");
  });

  test("two pulls of one image into one root at once both succeed", async () => {
    const [a, b] = await Promise.all([runBunker(root("twice"), ["pull", name], { env: env() }), runBunker(root("twice"), ["pull", name], { env: env() })]);
    expect(a.stderr + b.stderr).toBe("");
    expect([a.code, b.code]).toEqual([0, 0]);
    const snaps = JSON.parse(readFileSync(join(root("twice"), "snapshots", "index.json"), "utf8"));
    expect(Object.keys(snaps.snapshots)).toHaveLength(2);
    expect(readdirSync(join(root("twice"), "content", "ingest"))).toEqual([]);
  });

  test("unknown repository and tag: docker's messages", async () => {
    const r = await runBunker(root("nf"), ["pull", `${reg.host}/e2e/bb:nope`], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`manifest for ${reg.host}/e2e/bb:nope not found: manifest unknown`);
    const bad = await runBunker(root("nf"), ["pull", "Upper:v1"], { env: env() });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("invalid reference format: repository name (library/Upper) must be lowercase");
    const missing = await runBunker(root("nf"), ["push", `${reg.host}/e2e/none:v1`], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`An image does not exist locally with the tag: ${reg.host}/e2e/none`);
  });
});

describe("a registry with Basic auth (htpasswd)", () => {
  let basic: TestRegistry;
  let cfg: string;
  beforeAll(async () => {
    basic = await startRegistry({ users: { bob: "b0b-secret" } });
    cfg = join(tmp, "basic-config");
  });
  afterAll(async () => {
    await basic?.stop();
  });

  test("anonymous pull is refused, wrong password too; login, push and pull work", async () => {
    const name = `${basic.host}/team/app:v1`;
    await makeTestImage(root("basic-src"), name, { layers: [{ "etc/app": "1\n" }] });
    const anon = await runBunker(root("basic-dst"), ["pull", name], { env: { DOCKER_CONFIG: cfg } });
    expect(anon.code).toBe(1);
    expect(anon.stderr.trim()).toBe(`pull access denied for ${basic.host}/team/app, repository does not exist or may require 'bunker login': unauthorized: authentication required`);
    const bad = await runBunker(root("basic-src"), ["login", "-u", "bob", "-p", "nope", basic.host], { env: { DOCKER_CONFIG: cfg } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("unauthorized");
    const ok = await runBunker(root("basic-src"), ["login", "-u", "bob", "-p", "b0b-secret", basic.host], { env: { DOCKER_CONFIG: cfg } });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain("WARNING: Using --password via the CLI is insecure. Use --password-stdin.");
    expect(ok.stdout + ok.stderr).not.toContain("b0b-secret");
    expect((await runBunker(root("basic-src"), ["push", name], { env: { DOCKER_CONFIG: cfg } })).code).toBe(0);
    const pulled = await runBunker(root("basic-dst"), ["pull", name], { env: { DOCKER_CONFIG: cfg } });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
  });
});
