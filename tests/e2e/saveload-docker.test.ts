/**
 * Interop with a real Docker engine (docker.io from Debian, a private dockerd with its own data root and
 * socket, no bridge, no iptables): `docker load` reads what `bunker save` writes, and `bunker load` reads
 * what `docker save` writes (the legacy <id>/layer.tar layout), with the same image ID both ways.
 * scripts/setup installs docker.io; a missing engine fails the test rather than skipping it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importBusybox } from "../helpers/fixture.ts";
import { runBunker } from "../helpers/registry.ts";

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
