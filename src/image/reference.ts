/**
 * Docker image references, normalized the way `docker` does (distribution/reference ParseNormalizedNamed):
 * `nginx` means docker.io/library/nginx, `host:port/path:tag@sha256:…` keeps its host. The one parser of
 * the project: the image store keys names with it and the registry client resolves them with it, so both
 * always agree. Error texts copy Docker's (distribution/reference + go-digest) word for word, so scripts
 * that grep them keep working.
 */
import { BunkerError } from "../errors.ts";

export const DEFAULT_DOMAIN = "docker.io";
export const DEFAULT_TAG = "latest";
export const OFFICIAL_PREFIX = "library/";
const LEGACY_DOMAIN = "index.docker.io";
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
  `^(${domainName})/(${pathComponent}(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const ANCHORED_DOMAIN = new RegExp(`^${domainName}$`);
/** a bare image ID, which Docker refuses as a repository name */
export const FULL_HEX_ID = /^[a-f0-9]{64}$/;
// go-digest: the algorithms a Docker client registers, with their hex lengths
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const GO_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export class ReferenceError extends BunkerError {
  constructor(message: string) {
    super(message, { exitCode: 1 });
    this.name = "ReferenceError";
  }
}

export interface Reference {
  /** registry host[:port] after normalization: "docker.io", "127.0.0.1:5000" */
  domain: string;
  /** repository path inside the registry: "library/nginx" for official images */
  path: string;
  tag?: string;
  /** "sha256:<hex>" */
  digest?: string;
}

/**
 * Parses what a user typed (ParseNormalizedNamed). Does not add a default tag: callers that need one call
 * withDefaultTag, as `docker pull` does ("Using default tag: latest").
 */
export function parseReference(input: string): Reference {
  if (FULL_HEX_ID.test(input)) {
    throw new ReferenceError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(input);
  // Docker checks case on everything before the first ":" before it even parses
  const colon = remainder.indexOf(":");
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw new ReferenceError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) throw new ReferenceError("invalid reference format");
  const path = m[2]!;
  if (path.length > NAME_MAX) throw new ReferenceError(`repository name must not be more than ${NAME_MAX} characters`);
  const ref: Reference = { domain: m[1]!, path };
  if (m[3] !== undefined) ref.tag = m[3];
  if (m[4] !== undefined) ref.digest = checkDigest(m[4]);
  return ref;
}

/** Docker's TagNameOnly: a name without tag or digest gets ":latest" */
export function withDefaultTag(r: Reference): Reference {
  return r.tag !== undefined || r.digest !== undefined ? r : { ...r, tag: DEFAULT_TAG };
}

/** "docker.io/library/nginx" */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** Docker's FamiliarName: "nginx", "user/app", "127.0.0.1:5000/app" (a nested "library/a/b" keeps its prefix) */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return fullName(r);
  if (r.path.startsWith(OFFICIAL_PREFIX) && !r.path.slice(OFFICIAL_PREFIX.length).includes("/")) {
    return r.path.slice(OFFICIAL_PREFIX.length);
  }
  return r.path;
}

/** the canonical string "docker.io/library/nginx:1.27@sha256:…", or the familiar one when asked */
export function formatReference(r: Reference, familiar = false): string {
  let s = familiar ? familiarName(r) : fullName(r);
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** Docker's FamiliarString: "busybox:latest", "busybox@sha256:…" */
export function familiar(r: Reference): string {
  return formatReference(r, true);
}

/** the name an image is stored under after a pull: tag wins, else digest */
export function localName(r: Reference): string {
  return r.tag !== undefined ? `${fullName(r)}:${r.tag}` : `${fullName(r)}@${r.digest}`;
}

/** canonical form of user input with the default tag added: the key the image index stores */
export function normalizeName(s: string): string {
  return formatReference(withDefaultTag(parseReference(s)));
}

/** what a user typed, shown back the way Docker shows it ("nope" -> "nope:latest"); as typed if invalid */
export function familiarInput(s: string): string {
  try {
    return familiar(withDefaultTag(parseReference(s)));
  } catch {
    return s;
  }
}

/** true when `s` is a bare registry host (for login/logout arguments) */
export function isDomain(s: string): boolean {
  return ANCHORED_DOMAIN.test(s);
}

/** Go's path.Match glob (*, ?, [...]) where * does not cross "/" */
export function globMatch(pattern: string, s: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^")) cls = "!" + cls.slice(1);
      re += "[" + (cls.startsWith("!") ? "^" + cls.slice(1) : cls).replace(/\\/g, "\\\\") + "]";
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) re += "\\" + pattern[++i];
    else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(re + "$").test(s);
}

/** Docker's FamiliarMatch for `--filter reference=`: the pattern may match "name" or "name:tag" */
export function referenceMatches(pattern: string, ref: Reference): boolean {
  return globMatch(pattern, familiar(ref)) || globMatch(pattern, familiarName(ref));
}

/** splitDockerDomain: the first path element is a host only if it looks like one */
function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf("/");
  if (i === -1) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + name];
  const first = name.slice(0, i);
  let domain: string;
  let remainder = name.slice(i + 1);
  if (first === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  // uppercase namespaces are not allowed, so an uppercase first element must be a host name
  else if (first === "localhost" || /[.:]/.test(first) || first.toLowerCase() !== first) domain = first;
  else [domain, remainder] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/** go-digest's Parse as a Docker client sees it (sha256, sha384, sha512 registered) */
function checkDigest(d: string): string {
  const i = d.indexOf(":");
  const alg = d.slice(0, i);
  const hex = d.slice(i + 1);
  const want = DIGEST_HEX_LENGTH[alg];
  if (want === undefined) {
    throw new ReferenceError(GO_DIGEST.test(d) ? "unsupported digest algorithm" : "invalid checksum digest format");
  }
  if (hex.length !== want) throw new ReferenceError("invalid checksum digest length");
  if (!/^[a-f0-9]+$/.test(hex)) throw new ReferenceError("invalid checksum digest format");
  return d;
}
