import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authorizer, parseChallenges } from "../../src/registry/auth.ts";
import { retryAfterMs } from "../../src/registry/client.ts";
import { eraseCredentials, getCredentials, storeCredentials } from "../../src/registry/credentials.ts";
import { credentialKey, endpointFor, insecureRegistries, isListedInsecure, isLoopback } from "../../src/registry/hosts.ts";
import { paths, setPaths } from "../../src/config.ts";

describe("WWW-Authenticate", () => {
  test("Bearer with quoted params, Basic, several challenges", () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/nginx:pull" } },
    ]);
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: "basic", params: { realm: "Registry Realm" } }]);
    expect(parseChallenges('Negotiate, Basic realm="x"').map((c) => c.scheme)).toEqual(["basic"]);
    expect(parseChallenges(null)).toEqual([]);
  });
});

describe("token flow", () => {
  const creds = { username: "u", secret: "p" };
  test("fetches, caches per scope, refreshes after expiry", async () => {
    let now = 1_000_000;
    const calls: string[] = [];
    const fake = async (url: string, init: RequestInit) => {
      calls.push(url);
      expect((init.headers as Record<string, string>).Authorization).toBe(`Basic ${btoa("u:p")}`);
      return Response.json({ token: `t${calls.length}`, expires_in: 60 });
    };
    const a = new Authorizer(creds, fake, false, () => now);
    a.setChallenge('Bearer realm="http://127.0.0.1:1/token",service="svc"');
    expect(await a.header(["repository:x:pull"])).toBe("Bearer t1");
    expect(await a.header(["repository:x:pull"])).toBe("Bearer t1");
    expect(calls[0]).toBe("http://127.0.0.1:1/token?service=svc&scope=repository%3Ax%3Apull");
    expect(await a.header(["repository:y:pull"])).toBe("Bearer t2");
    now += 56_000; // inside the refresh margin
    expect(await a.header(["repository:x:pull"])).toBe("Bearer t3");
    a.invalidate(["repository:x:pull"]);
    expect(await a.header(["repository:x:pull"])).toBe("Bearer t4");
  });

  test("wrong password, HTML, no token: clear errors without the secret", async () => {
    const mk = (res: () => Response) => {
      const a = new Authorizer(creds, async () => res());
      a.setChallenge('Bearer realm="http://127.0.0.1:1/token"');
      return a.header([]);
    };
    await expect(mk(() => new Response("no", { status: 401 }))).rejects.toThrow("unauthorized: incorrect username or password");
    await expect(mk(() => new Response("<html></html>", { headers: { "content-type": "text/html" } }))).rejects.toThrow("invalid response from token server (text/html, not JSON)");
    await expect(mk(() => Response.json({}))).rejects.toThrow("token server answered without a token");
  });

  test("identity tokens use the refresh_token grant", async () => {
    let body = "";
    const a = new Authorizer({ username: "<token>", secret: "refresh-me" }, async (_u, init) => {
      body = String(init.body);
      expect(init.method).toBe("POST");
      return Response.json({ access_token: "acc" });
    });
    a.setChallenge('Bearer realm="http://127.0.0.1:1/token",service="s"');
    expect(await a.header(["repository:r:pull"])).toBe("Bearer acc");
    expect(new URLSearchParams(body).get("grant_type")).toBe("refresh_token");
  });

  test("Basic challenge", async () => {
    const a = new Authorizer(creds, async () => new Response());
    a.setChallenge('Basic realm="r"');
    expect(await a.header([])).toBe(`Basic ${btoa("u:p")}`);
  });
});

describe("Retry-After", () => {
  test("seconds and HTTP dates", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe("hosts", () => {
  test("loopback is plain http first; insecure list; docker hub", () => {
    expect(isLoopback("127.0.0.1:5000")).toBe(true);
    expect(isLoopback("127.3.2.1")).toBe(true);
    expect(isLoopback("localhost:80")).toBe(true);
    expect(isLoopback("[::1]:5000")).toBe(true);
    expect(isLoopback("10.0.0.1:5000")).toBe(false);
    expect(endpointFor("127.0.0.1:5000", []).bases[0]).toBe("http://127.0.0.1:5000");
    expect(endpointFor("registry.example.com", []).bases).toEqual(["https://registry.example.com"]);
    expect(endpointFor("docker.io", []).bases).toEqual(["https://registry-1.docker.io"]);
    expect(isListedInsecure("10.1.2.3:5000", ["10.0.0.0/8"])).toBe(true);
    expect(isListedInsecure("11.1.2.3:5000", ["10.0.0.0/8"])).toBe(false);
    expect(isListedInsecure("reg.lan:5000", ["reg.lan:5000"])).toBe(true);
    expect(endpointFor("reg.lan:5000", ["reg.lan:5000"]).bases).toEqual(["https://reg.lan:5000", "http://reg.lan:5000"]);
    expect(credentialKey("docker.io")).toBe("https://index.docker.io/v1/");
  });

  test("insecure-registries come from <root>/config.json", () => {
    const saved = paths();
    const root = mkdtempSync(join(tmpdir(), "bunker-unit-insecure-"));
    try {
      setPaths({ root });
      writeFileSync(join(root, "config.json"), JSON.stringify({ "insecure-registries": ["reg.lan:5000", "10.0.0.0/8", 42] }));
      expect(insecureRegistries()).toEqual(["reg.lan:5000", "10.0.0.0/8"]);
      expect(endpointFor("10.2.3.4:5000").bases).toEqual(["https://10.2.3.4:5000", "http://10.2.3.4:5000"]);
      writeFileSync(join(root, "config.json"), "{not json");
      expect(insecureRegistries()).toEqual([]);
    } finally {
      setPaths(saved);
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("~/.docker/config.json", () => {
  let dir: string;
  const saved = { cfg: process.env.DOCKER_CONFIG, path: process.env.PATH };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bunker-unit-creds-"));
    process.env.DOCKER_CONFIG = dir;
  });
  afterEach(() => {
    process.env.DOCKER_CONFIG = saved.cfg;
    process.env.PATH = saved.path;
    rmSync(dir, { recursive: true, force: true });
  });

  test("auths: store, read, erase; file is 0600 and keeps other keys", async () => {
    writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: {}, detachKeys: "ctrl-q" }));
    await storeCredentials("127.0.0.1:5000", { username: "al", secret: "pw:with:colons" });
    const raw = JSON.parse(await Bun.file(join(dir, "config.json")).text());
    expect(raw.detachKeys).toBe("ctrl-q");
    expect((await Bun.file(join(dir, "config.json")).stat()).mode & 0o777).toBe(0o600);
    expect(await getCredentials("127.0.0.1:5000")).toEqual({ username: "al", secret: "pw:with:colons" });
    expect(await getCredentials("other:1")).toBeUndefined();
    expect(await eraseCredentials("127.0.0.1:5000")).toBe(true);
    expect(await eraseCredentials("127.0.0.1:5000")).toBe(false);
    expect(await getCredentials("127.0.0.1:5000")).toBeUndefined();
  });

  test("identitytoken entries", async () => {
    writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { "https://index.docker.io/v1/": { identitytoken: "idt" } } }));
    expect(await getCredentials("docker.io")).toEqual({ username: "<token>", secret: "idt" });
  });

  test("credHelpers call docker-credential-<name> over stdin", async () => {
    const bin = join(dir, "bin");
    Bun.spawnSync(["mkdir", "-p", bin]);
    const store = join(dir, "helper-store");
    writeFileSync(
      join(bin, "docker-credential-fake"),
      `#!/bin/sh\ncase "$1" in\nget) read s; if [ -f ${store} ]; then cat ${store}; else echo "credentials not found in native keychain"; exit 1; fi;;\nstore) cat > ${store};;\nerase) read s; rm -f ${store};;\nesac\n`,
    );
    chmodSync(join(bin, "docker-credential-fake"), 0o755);
    process.env.PATH = `${bin}:${process.env.PATH}`;
    writeFileSync(join(dir, "config.json"), JSON.stringify({ credHelpers: { "reg.example:5000": "fake" } }));
    expect(await getCredentials("reg.example:5000")).toBeUndefined();
    const where = await storeCredentials("reg.example:5000", { username: "bob", secret: "hunter2" });
    expect(where.helper).toBe("fake");
    expect(await Bun.file(join(dir, "config.json")).text()).not.toContain("hunter2");
    expect(await getCredentials("reg.example:5000")).toEqual({ username: "bob", secret: "hunter2" });
    expect(await eraseCredentials("reg.example:5000")).toBe(true);
    expect(await getCredentials("reg.example:5000")).toBeUndefined();
    // credsStore: the default helper for every registry
    writeFileSync(join(dir, "config.json"), JSON.stringify({ credsStore: "fake" }));
    await storeCredentials("other.example", { username: "carol", secret: "pw" });
    expect(await getCredentials("other.example")).toEqual({ username: "carol", secret: "pw" });
    // a helper that is not installed: a clear error, not a crash
    writeFileSync(join(dir, "config.json"), JSON.stringify({ credsStore: "missing-helper" }));
    await expect(getCredentials("x.example")).rejects.toThrow('exec: "docker-credential-missing-helper": executable file not found in $PATH');
  });
});
