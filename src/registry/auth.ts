/**
 * Registry authentication: parse WWW-Authenticate challenges, answer Basic ones from stored credentials,
 * and run the Bearer token flow (realm/service/scope). Tokens are cached per scope set and refreshed before
 * they expire, so a long pull keeps working; a 401 on a cached token drops it once and asks again.
 */
import { AuthError } from "./errors.ts";
import type { Credentials } from "./credentials.ts";

export interface Challenge {
  scheme: "bearer" | "basic";
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="…"` (several challenges may share one header) */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const re = /([A-Za-z]+)\s+((?:[a-zA-Z_]+=(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/g;
  for (const m of header.matchAll(re)) {
    const scheme = m[1]!.toLowerCase();
    if (scheme !== "bearer" && scheme !== "basic") continue;
    const params: Record<string, string> = {};
    for (const p of m[2]!.matchAll(/([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
      params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? "").replace(/\\(.)/g, "$1");
    }
    out.push({ scheme, params });
  }
  return out;
}

interface Token {
  value: string;
  /** ms since epoch after which we ask again (a margin before the server's expiry) */
  refreshAt: number;
}

const TOKEN_MIN_LIFETIME_S = 60; // the distribution token spec's default when expires_in is missing
const REFRESH_MARGIN_MS = 5_000;

export type FetchLike = (url: string, init: RequestInit & { tls?: { rejectUnauthorized?: boolean } }) => Promise<Response>;

export class Authorizer {
  private challenge: Challenge | undefined;
  private tokens = new Map<string, Token>();

  constructor(
    private readonly creds: Credentials | undefined,
    private readonly doFetch: FetchLike,
    private readonly insecureTLS = false,
    private readonly now: () => number = Date.now,
  ) {}

  get hasChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /** remembers the strongest challenge a 401 offered (Bearer over Basic) */
  setChallenge(header: string | null): boolean {
    const cs = parseChallenges(header);
    const pick = cs.find((c) => c.scheme === "bearer") ?? cs.find((c) => c.scheme === "basic");
    if (!pick) return false;
    this.challenge = pick;
    return true;
  }

  /** drops cached tokens for these scopes (after a 401 on a token that looked valid) */
  invalidate(scopes: string[]): void {
    this.tokens.delete(scopeKey(scopes));
  }

  /** the Authorization header value for a request needing `scopes`, or undefined for anonymous */
  async header(scopes: string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === "basic") {
      if (!this.creds) return undefined;
      return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.secret}`).toString("base64")}`;
    }
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.refreshAt > this.now()) return `Bearer ${cached.value}`;
    const token = await this.fetchToken(c.params, scopes);
    this.tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  private async fetchToken(params: Record<string, string>, scopes: string[]): Promise<Token> {
    const realm = params.realm;
    if (!realm) throw new AuthError("authentication failed: the registry's Bearer challenge has no realm");
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AuthError(`authentication failed: invalid token realm ${JSON.stringify(realm)}`);
    }
    const headers: Record<string, string> = { "User-Agent": "bunker" };
    const init: RequestInit & { tls?: { rejectUnauthorized?: boolean } } = { headers, redirect: "follow" };
    if (this.insecureTLS) init.tls = { rejectUnauthorized: false };
    const scopeList = scopes.length ? scopes : params.scope ? params.scope.split(" ") : [];
    if (this.creds?.username === "<token>") {
      // identity tokens use the OAuth2 refresh_token grant (POST), as docker does
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: this.creds.secret, client_id: "bunker" });
      if (params.service) form.set("service", params.service);
      if (scopeList.length) form.set("scope", scopeList.join(" "));
      init.method = "POST";
      init.body = form.toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else {
      if (params.service) url.searchParams.set("service", params.service);
      for (const s of scopeList) url.searchParams.append("scope", s);
      if (this.creds) headers.Authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.secret}`).toString("base64")}`;
    }
    let res: Response;
    try {
      res = await this.doFetch(url.toString(), init);
    } catch (err) {
      throw new AuthError(`getting token from ${url.origin}: ${(err as Error).message}`, 0);
    }
    const text = (await res.text()).slice(0, 256 * 1024);
    if (res.status === 401 || res.status === 403) {
      throw new AuthError(this.creds ? "unauthorized: incorrect username or password" : "unauthorized: authentication required", res.status);
    }
    if (!res.ok) throw new AuthError(`getting token from ${url.origin}: unexpected status ${res.status}`, res.status);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      const ct = res.headers.get("content-type") ?? "unknown content type";
      throw new AuthError(`getting token from ${url.origin}: invalid response from token server (${ct.split(";")[0]}, not JSON)`, res.status);
    }
    const value = typeof body.token === "string" && body.token ? body.token : typeof body.access_token === "string" ? body.access_token : "";
    if (!value) throw new AuthError(`getting token from ${url.origin}: token server answered without a token`, res.status);
    const lifetime = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : TOKEN_MIN_LIFETIME_S;
    const issued = typeof body.issued_at === "string" ? Date.parse(body.issued_at) : NaN;
    const start = Number.isFinite(issued) && Math.abs(issued - this.now()) < 3600_000 ? issued : this.now();
    return { value, refreshAt: start + lifetime * 1000 - REFRESH_MARGIN_MS };
  }
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(" ");
}

/** "repository:library/nginx:pull" / "repository:team/app:pull,push" */
export function repoScope(path: string, actions: "pull" | "pull,push"): string {
  return `repository:${path}:${actions}`;
}
