/**
 * Credentials in ~/.docker/config.json's format ($DOCKER_CONFIG honored), so `docker login` and `bunker
 * login` share one file. credHelpers/credsStore delegate to docker-credential-<name> over its stdin/stdout
 * protocol. Secrets are only ever passed to helpers on stdin, never in argv or logs.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { BunkerError } from "../errors.ts";
import { credentialKey } from "./hosts.ts";

export interface Credentials {
  username: string;
  /** password, or an identity (refresh) token when username is "<token>" */
  secret: string;
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export function configPath(): string {
  const dir = process.env.DOCKER_CONFIG || join(homedir(), ".docker");
  return join(dir, "config.json");
}

function readConfig(): ConfigFile {
  const file = configPath();
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ConfigFile;
  } catch (err) {
    throw new BunkerError(`loading config file ${file}: ${(err as Error).message}`);
  }
}

function writeConfig(cfg: ConfigFile): void {
  const file = configPath();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  // written 0600 before it holds secrets, then renamed over the old file
  writeFileSync(tmp, JSON.stringify(cfg, null, "\t") + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function helperFor(cfg: ConfigFile, key: string, host: string): string | undefined {
  return cfg.credHelpers?.[host] ?? cfg.credHelpers?.[key] ?? cfg.credsStore;
}

/** the stored credentials for a registry host, or undefined for anonymous access */
export async function getCredentials(host: string): Promise<Credentials | undefined> {
  const cfg = readConfig();
  const key = credentialKey(host);
  const helper = helperFor(cfg, key, host);
  if (helper) {
    const out = await runHelper(helper, "get", key, true);
    if (out === null) return undefined;
    const r = JSON.parse(out) as { Username?: string; Secret?: string };
    return r.Secret ? { username: r.Username ?? "", secret: r.Secret } : undefined;
  }
  const entry = cfg.auths?.[key] ?? cfg.auths?.[host] ?? cfg.auths?.[`https://${host}`] ?? cfg.auths?.[`http://${host}`];
  if (!entry) return undefined;
  if (entry.identitytoken) return { username: "<token>", secret: entry.identitytoken };
  if (entry.auth) {
    const plain = Buffer.from(entry.auth, "base64").toString("utf8");
    const i = plain.indexOf(":");
    if (i < 0) throw new BunkerError(`invalid auth configuration file ${configPath()}`);
    return { username: plain.slice(0, i), secret: plain.slice(i + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, secret: entry.password };
  return undefined;
}

/** returns where the secret went: a helper name, or the file path (plain text, which login warns about) */
export async function storeCredentials(host: string, c: Credentials): Promise<{ helper?: string; file: string }> {
  const cfg = readConfig();
  const key = credentialKey(host);
  const helper = helperFor(cfg, key, host);
  cfg.auths ??= {};
  if (helper) {
    await runHelper(helper, "store", JSON.stringify({ ServerURL: key, Username: c.username, Secret: c.secret }), false);
    cfg.auths[key] = {};
  } else {
    cfg.auths[key] = { auth: Buffer.from(`${c.username}:${c.secret}`).toString("base64") };
  }
  writeConfig(cfg);
  return { helper, file: configPath() };
}

/** false when there was nothing stored for the host */
export async function eraseCredentials(host: string): Promise<boolean> {
  const cfg = readConfig();
  const key = credentialKey(host);
  const helper = helperFor(cfg, key, host);
  let found = false;
  if (helper) found = (await runHelper(helper, "erase", key, true)) !== null;
  for (const k of [key, host, `https://${host}`, `http://${host}`]) {
    if (cfg.auths?.[k]) {
      delete cfg.auths[k];
      found = true;
    }
  }
  if (found) writeConfig(cfg);
  return found;
}

/** null when the helper answers "credentials not found" and `notFoundOk` */
async function runHelper(name: string, action: string, input: string, notFoundOk: boolean): Promise<string | null> {
  const bin = `docker-credential-${name}`;
  const path = Bun.which(bin, { PATH: process.env.PATH ?? "" });
  if (!path) throw new BunkerError(`error getting credentials - err: exec: "${bin}": executable file not found in $PATH`);
  const proc = Bun.spawn([path, action], { stdin: new TextEncoder().encode(input), stdout: "pipe", stderr: "pipe", env: process.env });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code === 0) return out;
  const msg = (out.trim() || (await new Response(proc.stderr).text()).trim()).split("\n")[0] ?? "";
  if (notFoundOk && /credentials not found/i.test(msg)) return null;
  // the helper's own message, which by protocol never holds the secret
  throw new BunkerError(`error ${action === "get" ? "getting" : action === "store" ? "storing" : "erasing"} credentials - err: ${bin} ${action}: ${msg || `exit status ${code}`}`);
}
