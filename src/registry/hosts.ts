/**
 * Which URL a registry name maps to. docker.io is served by registry-1.docker.io; loopback registries and
 * those listed as "insecure-registries" in bunker's config may use plain http (as Docker allows); all
 * others get https with the system CAs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../config.ts";
import { DEFAULT_DOMAIN } from "../image/reference.ts";

export interface Endpoint {
  /** the name users write and config.json keys on: "docker.io", "127.0.0.1:5000" */
  host: string;
  /** candidate base URLs tried in order, e.g. ["http://127.0.0.1:5000"] */
  bases: string[];
  /** accept self-signed certificates (insecure-registries) */
  insecureTLS: boolean;
}

export function endpointFor(host: string, insecure: string[] = insecureRegistries()): Endpoint {
  if (host === DEFAULT_DOMAIN) return { host, bases: ["https://registry-1.docker.io"], insecureTLS: false };
  if (isLoopback(host)) return { host, bases: [`http://${host}`, `https://${host}`], insecureTLS: true };
  if (isListedInsecure(host, insecure)) return { host, bases: [`https://${host}`, `http://${host}`], insecureTLS: true };
  return { host, bases: [`https://${host}`], insecureTLS: false };
}

/** the key ~/.docker/config.json uses for a registry (Docker Hub keeps its historic v1 URL) */
export function credentialKey(host: string): string {
  return host === DEFAULT_DOMAIN || host === "index.docker.io" || host === "registry-1.docker.io" ? "https://index.docker.io/v1/" : host;
}

function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const i = host.lastIndexOf(":");
  return i === -1 ? host : host.slice(0, i);
}

export function isLoopback(host: string): boolean {
  const h = hostname(host);
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** entries are "host[:port]" or IPv4 CIDRs like "10.0.0.0/8" (Docker's daemon.json semantics) */
export function isListedInsecure(host: string, list: string[]): boolean {
  const h = hostname(host);
  for (const entry of list) {
    if (entry === host || entry === h) return true;
    const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(entry);
    if (cidr && /^\d+\.\d+\.\d+\.\d+$/.test(h)) {
      const bits = Number(cidr[2]);
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if (((ipv4(h) & mask) >>> 0) === ((ipv4(cidr[1]!) & mask) >>> 0)) return true;
    }
  }
  return false;
}

function ipv4(s: string): number {
  return s.split(".").reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

/** "insecure-registries" from <root>/config.json, else /etc/bunker/daemon.json; unreadable files count as empty */
export function insecureRegistries(): string[] {
  for (const file of [join(paths().root, "config.json"), "/etc/bunker/daemon.json"]) {
    if (!existsSync(file)) continue;
    try {
      const cfg = JSON.parse(readFileSync(file, "utf8")) as { "insecure-registries"?: unknown };
      const list = cfg["insecure-registries"];
      return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : [];
    } catch {
      return [];
    }
  }
  return [];
}
