/**
 * A real registry for e2e tests: Debian's docker-registry (distribution v2) on a free 127.0.0.1 port,
 * storing into a temp dir, optionally with htpasswd (Basic) auth. `stop()` kills it and removes the dir;
 * call it in afterAll so a failed test leaves nothing behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export async function startRegistry(opts: { users?: Record<string, string> } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "bunker-registry-"));
  const port = await freePort();
  let auth = "";
  if (opts.users) {
    const lines = await Promise.all(
      Object.entries(opts.users).map(async ([u, p]) => `${u}:${(await Bun.password.hash(p, { algorithm: "bcrypt", cost: 4 })).replace(/^\$2b\$/, "$2y$")}`),
    );
    writeFileSync(join(dir, "htpasswd"), lines.join("\n") + "\n");
    auth = `auth:\n  htpasswd:\n    realm: bunker-test\n    path: ${join(dir, "htpasswd")}\n`;
  }
  const config = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, "data")}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${auth}`;
  writeFileSync(join(dir, "config.yml"), config);
  const proc = Bun.spawn([REGISTRY_BIN, "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: "pipe" });
  const stop = async () => {
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
    await proc.exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      await r.arrayBuffer();
      if (r.status === 200 || r.status === 401) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      const err = await new Response(proc.stderr).text().catch(() => "");
      await stop();
      throw new Error(`docker-registry did not start on 127.0.0.1:${port}: ${err.slice(0, 500)}`);
    }
    await Bun.sleep(50);
  }
  return { host: `127.0.0.1:${port}`, port, dir, stop };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** runs bunker (the compiled binary when BUNKER_BIN is set, else the source) against a test root */
export async function runBunker(root: string, args: string[], o: { stdin?: Uint8Array | string; env?: Record<string, string> } = {}): Promise<RunResult> {
  const bin = process.env.BUNKER_BIN ? [process.env.BUNKER_BIN] : [process.execPath, join(import.meta.dir, "..", "..", "src", "cli", "main.ts")];
  const proc = Bun.spawn([...bin, "--root", root, "--run-root", join(root, "run"), ...args], {
    stdin: o.stdin === undefined ? "ignore" : typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : o.stdin,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", ...o.env },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
