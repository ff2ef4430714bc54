/**
 * Docker image references, normalized the way `docker` does (distribution/reference): `nginx` means
 * docker.io/library/nginx:latest, `host:port/path:tag@sha256:…` keeps its host. Error texts copy Docker's
 * so scripts that grep them keep working.
 */
import { BunkerError } from "../errors.ts";

export const DEFAULT_DOMAIN = "docker.io";
export const DEFAULT_TAG = "latest";
const LEGACY_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const NAME_MAX = 255;

// grammar pieces from distribution/reference/regexp.go
const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainName = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})(?::[0-9]+)?`;
const tagPattern = "[\\w][\\w.-]{0,127}";
const digestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(
  `^((?:${domainName}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const ANCHORED_DOMAIN = new RegExp(`^${domainName}$`);
const HEX64 = /^[a-f0-9]{64}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

export class ReferenceError extends BunkerError {
  constructor(message: string) {
    super(message);
    this.name = "ReferenceError";
  }
}

export interface Reference {
  /** registry host as written (after normalization): "docker.io", "127.0.0.1:5000" */
  domain: string;
  /** repository path inside the registry: "library/nginx" */
  path: string;
  tag?: string;
  digest?: string;
}

/** "docker.io/library/nginx" */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** Docker's short form: "nginx", "user/app", "127.0.0.1:5000/app" */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return fullName(r);
  return r.path.startsWith(OFFICIAL_PREFIX) ? r.path.slice(OFFICIAL_PREFIX.length) : r.path;
}

/** the fully-qualified string: "docker.io/library/nginx:1.27@sha256:…" */
export function formatReference(r: Reference, familiar = false): string {
  let s = familiar ? familiarName(r) : fullName(r);
  if (r.tag) s += `:${r.tag}`;
  if (r.digest) s += `@${r.digest}`;
  return s;
}

/** the name an image is stored under locally: tag wins, else digest */
export function localName(r: Reference): string {
  return r.tag ? `${fullName(r)}:${r.tag}` : `${fullName(r)}@${r.digest}`;
}

/**
 * Parses what a user typed (ParseNormalizedNamed). Does not add a default tag: callers that need one call
 * withDefaultTag, as `docker pull` does ("Using default tag: latest").
 */
export function parseReference(input: string): Reference {
  if (HEX64.test(input)) {
    throw new ReferenceError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDomain(input);
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) {
    if (input === "") throw new ReferenceError("invalid reference format");
    // Docker's hint: the name itself would parse if lowercased
    const lowered = remainder.replace(/:[^/@]*$|@.*$/, "").toLowerCase();
    if (/[A-Z]/.test(remainder.replace(/:[^/@]*$|@.*$/, "")) && REFERENCE.test(`${domain}/${lowered}`)) {
      throw new ReferenceError(`invalid reference format: repository name (${remainder.replace(/[:@].*$/, "")}) must be lowercase`);
    }
    throw new ReferenceError("invalid reference format");
  }
  const name = m[1]!;
  if (name.length > NAME_MAX) throw new ReferenceError(`invalid reference format: repository name must not be more than ${NAME_MAX} characters`);
  const digest = m[3];
  if (digest !== undefined) checkDigest(digest);
  const slash = name.indexOf("/");
  return { domain: name.slice(0, slash), path: name.slice(slash + 1), tag: m[2], digest };
}

/** adds ":latest" when neither tag nor digest is given */
export function withDefaultTag(r: Reference): Reference {
  return r.tag || r.digest ? r : { ...r, tag: DEFAULT_TAG };
}

/** true when `s` is a bare registry host (for login/logout arguments) */
export function isDomain(s: string): boolean {
  return ANCHORED_DOMAIN.test(s);
}

function splitDomain(name: string): [string, string] {
  const i = name.indexOf("/");
  let domain: string;
  let remainder: string;
  const first = i === -1 ? "" : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

function checkDigest(d: string): void {
  if (d.startsWith("sha256:")) {
    if (!SHA256.test(d)) throw new ReferenceError(`invalid reference format: invalid checksum digest length`);
    return;
  }
  const alg = d.slice(0, d.indexOf(":"));
  if (alg === "sha512" && /^sha512:[a-f0-9]{128}$/.test(d)) return;
  throw new ReferenceError(`invalid reference format: unsupported digest algorithm`);
}
