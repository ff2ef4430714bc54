/**
 * Interop with a real Docker engine (docker.io from Debian, a private dockerd with its own data root and
 * socket, no bridge, no iptables): `docker load` reads what `bunker save` writes, and `bunker load` reads
 * what `docker save` writes (the legacy <id>/layer.tar layout), with the same image ID both ways.
 * scripts/setup installs docker.io; a missing engine fails the test rather than skipping it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importBusybox } from "../helpers/fixture.ts";
import { busyboxFiles, makeTestImage } from "../helpers/registry-image.ts";
import { runBunker, startRegistry } from "../helpers/registry.ts";

const DOCKERD = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].find((p) => existsSync(p));
const DOCKER = ["/usr/bin/docker", "/usr/local/bin/docker"].find((p) => existsSync(p));
let tmp: string;
let dockerd: ReturnType<typeof Bun.spawn> | undefined;
const sock = () => `unix://${join(tmp, "d", "sock")}`;
const docker = (...args: string[]) => Bun.spawnSync([DOCKER!, "-H", sock(), ...args], { stdout: "pipe", stderr: "pipe" });

beforeAll(async () => {
  if (!DOCKERD || !DOCKER) throw new Error("dockerd/docker not installed (scripts/setup installs docker.io)");
  tmp = mkdtempSync(join(tmpdir(), "bunker-e2e-docker-"));
  const d = join(tmp, "d");
  dockerd = Bun.spawn(
    [DOCKERD, "--data-root", join(d, "data"), "--exec-root", join(d, "exec"), "--pidfile", join(d, "pid"), "-H", sock(), "--bridge=none", "--iptables=false", "--ip6tables=false"],
    { stdout: "ignore", stderr: "ignore" },
  );
  for (let i = 0; i < 150; i++) {
    if (docker("version").exitCode === 0) return;
    await Bun.sleep(100);
  }
  throw new Error("private dockerd did not start");
}, 30_000);

afterAll(async () => {
  if (dockerd) {
    dockerd.kill("SIGTERM");
    const t = setTimeout(() => dockerd?.kill("SIGKILL"), 10_000);
    await dockerd.exited;
    clearTimeout(t);
    // dockerd leaves its own mounts (exec root, overlay dirs) behind when killed mid-way
    Bun.spawnSync(["umount", "-R", join(tmp, "d", "exec")]);
    Bun.spawnSync(["umount", "-R", join(tmp, "d", "data")]);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 30_000);

test("docker load reads bunker save; bunker load reads docker save", async () => {
  const src = join(tmp, "src");
  const id = await importBusybox({ root: src, run: join(src, "run"), dir: tmp, cleanup: () => {} }, "example.com/interop/bb:v1");
  const out = join(tmp, "bunker.tar");
  expect((await runBunker(src, ["save", "-o", out, "example.com/interop/bb:v1"])).code).toBe(0);
  const l = docker("load", "-i", out);
  expect(l.stderr.toString()).toBe("");
  expect(l.stdout.toString()).toContain("Loaded image: example.com/interop/bb:v1");
  expect(docker("image", "inspect", "--format", "{{.Id}}", "example.com/interop/bb:v1").stdout.toString().trim()).toBe(id);

  expect(docker("tag", "example.com/interop/bb:v1", "example.com/interop/back:v2").exitCode).toBe(0);
  const back = join(tmp, "docker.tar");
  expect(docker("save", "-o", back, "example.com/interop/back:v2").exitCode).toBe(0);
  const dst = join(tmp, "dst");
  const r = await runBunker(dst, ["load", "-i", back]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("Loaded image: example.com/interop/back:v2\n");
  const inspect = await runBunker(dst, ["image", "inspect", "--format", "{{.Id}}", "example.com/interop/back:v2"]);
  expect(inspect.stdout.trim()).toBe(id);
}, 60_000);

test("plain-tar layers: docker load reads bunker's save of them; a docker save loaded into bunker pushes as gzip", async () => {
  const src = join(tmp, "plain-src");
  const name = "example.com/interop/plain:v1";
  const img = await makeTestImage(src, name, { layers: [busyboxFiles(), { "etc/motd": "plain\n" }], compression: "none" });
  const out = join(tmp, "plain.tar");
  expect((await runBunker(src, ["save", "-o", out, name])).code).toBe(0);
  const l = docker("load", "-i", out);
  expect(l.stderr.toString()).toBe("");
  expect(docker("image", "inspect", "--format", "{{.Id}}", name).stdout.toString().trim()).toBe(img.config.digest);

  // Docker's own save carries uncompressed layer tars: loaded, they are plain layers here too
  const back = join(tmp, "docker-plain.tar");
  expect(docker("save", "-o", back, name).exitCode).toBe(0);
  const dst = join(tmp, "plain-dst");
  expect((await runBunker(dst, ["load", "-i", back])).code).toBe(0);
  const { ImageIndex } = await import("../../src/image/index.ts");
  const loaded = new ImageIndex(join(dst, "images")).get(name)!.target.digest.slice(7);
  const layers = JSON.parse(readFileSync(join(dst, "content", "blobs", "sha256", loaded), "utf8")).layers as { mediaType: string }[];
  expect(layers.map((x) => x.mediaType)).toEqual(["application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar"]);
  const reg = await startRegistry();
  try {
    const ref = `${reg.host}/interop/plain:v1`;
    expect((await runBunker(dst, ["tag", name, ref])).code).toBe(0);
    const p = await runBunker(dst, ["push", ref]);
    expect(p.stderr).toBe("");
    const raw = JSON.parse(Bun.spawnSync(["skopeo", "inspect", "--tls-verify=false", "--raw", `docker://${ref}`]).stdout.toString());
    expect(raw.config.digest).toBe(img.config.digest);
    for (const layer of raw.layers) expect(layer.mediaType).toEndWith("+gzip");
    const pulled = join(tmp, "plain-pulled");
    expect((await runBunker(pulled, ["pull", ref])).code).toBe(0);
    expect((await runBunker(pulled, ["image", "inspect", "--format", "{{.Id}}", ref])).stdout.trim()).toBe(img.config.digest);
  } finally {
    await reg.stop();
  }
}, 60_000);
