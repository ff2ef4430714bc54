/**
 * Bad registries: a fault-injecting proxy in front of a real docker-registry flips bytes, cuts
 * connections, tampers with manifests, answers 500/429 and unknown error codes, and plays a Bearer token
 * server. Each failure must be one clear line and leave the root as it was.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFaultProxy, type FaultProxy } from "../helpers/faultproxy.ts";
import { busyboxFiles, makeTestImage } from "../helpers/registry-image.ts";
import { runBunker, startRegistry, type TestRegistry } from "../helpers/registry.ts";

let reg: TestRegistry;
let proxy: FaultProxy;
let tmp: string;
let n = 0;
let layer: string;
let manifest: string;
const env = { BUNKER_REGISTRY_ATTEMPTS: "3" };
const fresh = () => join(tmp, `root-${n++}`);
const image = () => `${proxy.host}/faults/bb:v1`;

/** nothing of a failed pull may stay: no name, no layer blob, no ingest, no snapshot */
function expectClean(root: string) {
  const list = (p: string) => (existsSync(join(root, p)) ? readdirSync(join(root, p)).filter((f) => !f.startsWith(".")) : []);
  expect(list("images")).toEqual([]);
  expect(list("content/blobs/sha256")).toEqual([]);
  expect(list("content/ingest")).toEqual([]);
  expect(list("snapshots").filter((f) => f !== "index.json")).toEqual([]);
}

beforeAll(async () => {
  reg = await startRegistry();
  tmp = mkdtempSync(join(tmpdir(), "bunker-e2e-faults-"));
  proxy = startFaultProxy(reg.host);
  const rnd = crypto.getRandomValues(new Uint8Array(400_000));
  const img = await makeTestImage(join(tmp, "src"), `${reg.host}/faults/bb:v1`, { layers: [busyboxFiles(), { "data/random": rnd }] });
  layer = img.layers[1]!.digest;
  manifest = img.manifest.digest;
  const p = await runBunker(join(tmp, "src"), ["push", `${reg.host}/faults/bb:v1`]);
  expect(p.code).toBe(0);
});
afterAll(async () => {
  proxy?.stop();
  await reg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  proxy.rules = [];
  proxy.log = [];
  proxy.onRequest = undefined;
});

describe("corrupt data", () => {
  test("one flipped byte in a layer: digest error naming the digest, nothing kept", async () => {
    proxy.rules = [{ method: "GET", path: new RegExp(`/blobs/${layer}$`), action: { kind: "flip" } }];
    const root = fresh();
    const r = await runBunker(root, ["pull", image()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`filesystem layer verification failed for digest ${layer}`);
    expectClean(root);
  });

  test("a connection cut mid-layer is resumed with Range", async () => {
    proxy.rules = [{ method: "GET", path: new RegExp(`/blobs/${layer}$`), times: 1, action: { kind: "cut", after: 100_000 } }];
    const root = fresh();
    const r = await runBunker(root, ["pull", image()], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(proxy.log.some((l) => l.range === "bytes=100000-")).toBe(true);
  });

  test("a connection cut every time fails cleanly after bounded retries", async () => {
    proxy.rules = [{ method: "GET", path: new RegExp(`/blobs/${layer}$`), action: { kind: "cut", after: 1000 } }];
    const root = fresh();
    const r = await runBunker(root, ["pull", image()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(layer);
    expectClean(root);
  });

  test("a manifest body that does not match Docker-Content-Digest", async () => {
    const tamper = (b: Uint8Array) => new TextEncoder().encode(new TextDecoder().decode(b) + " ");
    proxy.rules = [{ method: "GET", path: /\/manifests\/v1$/, action: { kind: "rewrite", fn: tamper, keepDigestHeader: true } }];
    const root = fresh();
    const r = await runBunker(root, ["pull", image()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`manifest verification failed for ${image()}: Docker-Content-Digest ${manifest}`);
    proxy.rules = [{ method: "GET", path: /\/manifests\/sha256:/, action: { kind: "rewrite", fn: tamper } }];
    const d = await runBunker(root, ["pull", `${proxy.host}/faults/bb@${manifest}`], { env });
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(`manifest verification failed for digest ${manifest}`);
    expectClean(root);
  });

  test("a manifest whose layer size is smaller than the blob", async () => {
    const shrink = (b: Uint8Array) => {
      const m = JSON.parse(new TextDecoder().decode(b));
      m.layers[1].size -= 10;
      return new TextEncoder().encode(JSON.stringify(m));
    };
    proxy.rules = [{ method: "GET", path: /\/manifests\/v1$/, action: { kind: "rewrite", fn: shrink } }];
    const root = fresh();
    const r = await runBunker(root, ["pull", image()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${layer}: blob is larger than its descriptor size`);
    expectClean(root);
  });

  test("an ambiguous document (index and manifest at once), schema1, unknown media types", async () => {
    const cases: [(m: Record<string, unknown>) => void, string, string?][] = [
      [(m) => (m.manifests = []), "ambiguous"],
      [(m) => Object.assign(m, { schemaVersion: 1, mediaType: undefined, fsLayers: [] }), "schema 1"],
      [(m) => (m.mediaType = "application/vnd.example.thing+json"), "unsupported manifest media type: application/vnd.example.thing+json", "application/vnd.example.thing+json"],
      [(m) => (m.mediaType = "application/vnd.example.thing+json"), "Content-Type application/vnd.oci.image.manifest.v1+json does not match mediaType application/vnd.example.thing+json"],
      [(m) => ((m.layers as { mediaType: string }[])[0]!.mediaType = "application/x-weird"), "unsupported layer media type: application/x-weird"],
    ];
    for (const [edit, want, contentType] of cases) {
      const fn = (b: Uint8Array) => {
        const m = JSON.parse(new TextDecoder().decode(b));
        edit(m);
        return new TextEncoder().encode(JSON.stringify(m));
      };
      proxy.rules = [{ method: "GET", path: /\/manifests\/v1$/, action: { kind: "rewrite", fn, contentType } }];
      const root = fresh();
      const r = await runBunker(root, ["pull", image()], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(want);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expectClean(root);
    }
  });
});

describe("lying documents", () => {
  test("a config whose diff_ids do not match the layers", async () => {
    const name = `${reg.host}/faults/liar:v1`;
    const img = await makeTestImage(join(tmp, "liar"), name, { layers: [{ "etc/x": "x\n" }], wrongDiffId: true });
    expect((await runBunker(join(tmp, "liar"), ["push", name])).code).toBe(0);
    const root = fresh();
    const r = await runBunker(root, ["pull", `${proxy.host}/faults/liar:v1`], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toStartWith(`failed to register layer: layer ${img.layers[0]!.digest} has diff ID sha256:`);
    expectClean(root);
  });
});

describe("uploads", () => {
  test("a chunk the registry only partly received is resumed from its Range; the push verifies", async () => {
    const name = `${proxy.host}/faults/up:v1`;
    const rnd = crypto.getRandomValues(new Uint8Array(200_000));
    await makeTestImage(join(tmp, "up"), name, { layers: [{ "data/r": rnd }], compression: "none" });
    proxy.rules = [{ method: "PATCH", path: /\/blobs\/uploads\//, times: 1, action: { kind: "truncateUpload", after: 20_000 } }];
    const r = await runBunker(join(tmp, "up"), ["push", name], { env: { ...env, BUNKER_PUSH_CHUNK: "65536" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ranges = proxy.log.filter((l) => l.method === "PATCH").map((l) => l.contentRange);
    expect(ranges.slice(0, 2)).toEqual(["0-65535", "20000-85535"]);
    const back = await runBunker(fresh(), ["pull", name], { env });
    expect(back.code).toBe(0);
  });
});

describe("unwell registries", () => {
  test("500s and a 429 with Retry-After, then success", async () => {
    proxy.rules = [
      { path: /\/manifests\/v1$/, times: 2, action: { kind: "status", status: 500 } },
      { path: new RegExp(`/blobs/${layer}$`), times: 1, action: { kind: "status", status: 429, headers: { "Retry-After": "1" } } },
    ];
    const t0 = Date.now();
    const r = await runBunker(fresh(), ["pull", image()], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(proxy.log.filter((l) => l.path.endsWith("/manifests/v1")).length).toBe(3);
  });

  test("503 forever: bounded attempts, then one line", async () => {
    proxy.rules = [{ path: /\/manifests\/v1$/, action: { kind: "status", status: 503 } }];
    const r = await runBunker(fresh(), ["pull", image()], { env });
    expect(r.code).toBe(1);
    expect(proxy.log.filter((l) => l.path.endsWith("/manifests/v1")).length).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("unknown registry error codes are shown, not swallowed", async () => {
    const body = JSON.stringify({ errors: [{ code: "QUOTA_EXCEEDED_SOMEHOW", message: "your plan allows 3 pulls" }] });
    proxy.rules = [{ path: /\/manifests\/v1$/, action: { kind: "status", status: 400, body, headers: { "Content-Type": "application/json" } } }];
    const r = await runBunker(fresh(), ["pull", image()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("quota exceeded somehow: your plan allows 3 pulls");
  });

  test("blob redirects to another origin carry no Authorization", async () => {
    const other = startFaultProxy(reg.host);
    const authed = startFaultProxy(reg.host, { bearer: { users: { alice: "s3cret-pw" } } });
    try {
      const cfg = join(tmp, "cfg-redirect");
      const l = await runBunker(fresh(), ["login", "-u", "alice", "--password-stdin", authed.host], { stdin: "s3cret-pw\n", env: { DOCKER_CONFIG: cfg } });
      expect(l.code).toBe(0);
      authed.rules = [{ method: "GET", path: new RegExp(`/blobs/${layer}$`), action: { kind: "status", status: 307, headers: { Location: `http://${other.host}/v2/faults/bb/blobs/${layer}` } } }];
      const r = await runBunker(fresh(), ["pull", `${authed.host}/faults/bb:v1`], { env: { ...env, DOCKER_CONFIG: cfg } });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const hit = other.log.filter((x) => x.path.includes(layer));
      expect(hit.length).toBe(1);
      expect(hit[0]!.authorization).toBeUndefined();
    } finally {
      other.stop();
      authed.stop();
    }
  });
});

describe("authentication", () => {
  let authed: FaultProxy;
  let cfg: string;
  beforeAll(() => {
    authed = startFaultProxy(reg.host, { bearer: { users: { alice: "s3cret-pw" } } });
    cfg = join(tmp, "cfg-auth");
  });
  afterAll(() => authed?.stop());

  test("anonymous pull from a registry that wants a login", async () => {
    const r = await runBunker(fresh(), ["pull", `${authed.host}/faults/bb:v1`], { env: { ...env, DOCKER_CONFIG: cfg } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("unauthorized: authentication required");
  });

  test("login with a wrong password fails; the right one is stored; secrets never printed", async () => {
    const bad = await runBunker(fresh(), ["login", "-u", "alice", "--password-stdin", authed.host], { stdin: "wrong-pw", env: { DOCKER_CONFIG: cfg } });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("unauthorized: incorrect username or password");
    expect(existsSync(join(cfg, "config.json"))).toBe(false);
    const ok = await runBunker(fresh(), ["login", "-u", "alice", "--password-stdin", authed.host], { stdin: "s3cret-pw\n", env: { DOCKER_CONFIG: cfg } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("Login Succeeded\n");
    expect(ok.stdout + ok.stderr).not.toContain("s3cret-pw");
    const stored = JSON.parse(await Bun.file(join(cfg, "config.json")).text());
    expect(Buffer.from(stored.auths[authed.host].auth, "base64").toString()).toBe("alice:s3cret-pw");
  });

  test("pull with stored credentials; a token revoked mid-pull is refreshed", async () => {
    let revoked = false;
    authed.onRequest = (l) => {
      if (!revoked && l.path.includes("/blobs/")) {
        revoked = true;
        authed.revokeTokens();
      }
    };
    const before = authed.tokensIssued;
    const r = await runBunker(fresh(), ["pull", `${authed.host}/faults/bb:v1`], { env: { ...env, DOCKER_CONFIG: cfg } });
    authed.onRequest = undefined;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(authed.tokensIssued - before).toBeGreaterThanOrEqual(2);
  });

  test("HTML instead of a token", async () => {
    authed.bearer!.html = true;
    try {
      const r = await runBunker(fresh(), ["pull", `${authed.host}/faults/bb:v1`], { env: { ...env, DOCKER_CONFIG: cfg } });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`getting token from http://${authed.host}: invalid response from token server (text/html, not JSON)`);
    } finally {
      authed.bearer!.html = false;
    }
  });

  test("logout removes the credentials", async () => {
    const r = await runBunker(fresh(), ["logout", authed.host], { env: { DOCKER_CONFIG: cfg } });
    expect(r.stdout).toBe(`Removing login credentials for ${authed.host}\n`);
    const stored = JSON.parse(await Bun.file(join(cfg, "config.json")).text());
    expect(stored.auths[authed.host]).toBeUndefined();
    const again = await runBunker(fresh(), ["logout", authed.host], { env: { DOCKER_CONFIG: cfg } });
    expect(again.stdout).toBe(`Not logged in to ${authed.host}\n`);
  });
});
