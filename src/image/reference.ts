/**
 * Image references as Docker normalizes them: "busybox" is docker.io/library/busybox:latest and shows as
 * "busybox:latest". A small local parser for the image store; the registry layer may bring a fuller one,
 * and this one follows the same grammar (distribution/reference) so the two agree on every name.
 */
import { BunkerError } from "../errors.ts";

export const DEFAULT_DOMAIN = "docker.io";
export const OFFICIAL_PREFIX = "library/";
export const DEFAULT_TAG = "latest";

export interface Reference {
  /** registry host[:port], "docker.io" by default */
  domain: string;
  /** repository path inside the registry, "library/busybox" for official images */
  path: string;
  tag?: string;
  /** "sha256:<hex>" */
  digest?: string;
}

export class ReferenceError extends BunkerError {
  constructor(ref: string, reason: string) {
    super(`invalid reference format: ${reason}`, { exitCode: 1 });
    this.name = "ReferenceError";
    this.ref = ref;
  }
  readonly ref: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
export const FULL_HEX_ID = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;

/** "host[:port]" or "[ipv6]:port" as the first path element of a name */
function validDomain(s: string): boolean {
  let host = s;
  let port: string | undefined;
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end === -1) return false;
    if (!/^[a-fA-F0-9:]+$/.test(s.slice(1, end))) return false;
    const rest = s.slice(end + 1);
    if (rest === "") return true;
    return rest.startsWith(":") && PORT.test(rest.slice(1));
  }
  const colon = s.lastIndexOf(":");
  if (colon !== -1) {
    host = s.slice(0, colon);
    port = s.slice(colon + 1);
    if (!PORT.test(port)) return false;
  }
  return host.split(".").every((c) => DOMAIN_COMPONENT.test(c));
}

/**
 * Parses and normalizes like distribution's ParseNormalizedNamed: adds docker.io and library/ where
 * Docker would, keeps tag and digest as given (no default tag: see withDefaultTag).
 */
export function parseReference(s: string): Reference {
  if (s === "") throw new ReferenceError(s, "repository name must have at least one component");
  if (FULL_HEX_ID.test(s)) {
    throw new ReferenceError(s, `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError(s, "invalid reference format");
    if (digest.startsWith("sha256:") && !SHA256.test(digest)) throw new ReferenceError(s, "invalid checksum digest length");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon !== -1 && !rest.slice(colon + 1).includes("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(s, "invalid reference format");
  }
  if (rest === "") throw new ReferenceError(s, "invalid reference format");
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase()) {
      if (!validDomain(first)) throw new ReferenceError(s, "invalid reference format");
      domain = first === "index.docker.io" ? DEFAULT_DOMAIN : first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === DEFAULT_DOMAIN && !path.includes("/")) path = OFFICIAL_PREFIX + path;
  const components = path.split("/");
  if (components.some((c) => !PATH_COMPONENT.test(c))) {
    if (path !== path.toLowerCase() && components.every((c) => PATH_COMPONENT.test(c.toLowerCase()))) {
      throw new ReferenceError(s, `repository name (${path}) must be lowercase`);
    }
    throw new ReferenceError(s, "invalid reference format");
  }
  if (domain.length + 1 + path.length > NAME_MAX) throw new ReferenceError(s, `repository name must not be more than ${NAME_MAX} characters`);
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Docker's TagNameOnly: a name without tag or digest gets ":latest" */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** "docker.io/library/busybox" */
export function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** canonical string: "docker.io/library/busybox:latest", "ghcr.io/a/b@sha256:..." */
export function formatReference(ref: Reference): string {
  return fullName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : "") + (ref.digest !== undefined ? `@${ref.digest}` : "");
}

/** Docker's FamiliarName: "busybox", "user/app", "ghcr.io/a/b" */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return fullName(ref);
  if (ref.path.startsWith(OFFICIAL_PREFIX) && !ref.path.slice(OFFICIAL_PREFIX.length).includes("/")) {
    return ref.path.slice(OFFICIAL_PREFIX.length);
  }
  return ref.path;
}

/** Docker's FamiliarString: "busybox:latest", "busybox@sha256:..." */
export function familiar(ref: Reference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : "") + (ref.digest !== undefined ? `@${ref.digest}` : "");
}

/** canonical form of user input with the default tag added: the key the image index stores */
export function normalizeName(s: string): string {
  return formatReference(withDefaultTag(parseReference(s)));
}

/** what a user typed, shown back the way Docker shows it ("nope" -> "nope:latest") */
export function familiarInput(s: string): string {
  try {
    return familiar(withDefaultTag(parseReference(s)));
  } catch {
    return s;
  }
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
