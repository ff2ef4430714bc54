/**
 * One registry host: base URL selection (http for loopback/insecure, https otherwise), authentication,
 * bounded retries with Retry-After, and redirects that never carry our Authorization to another origin
 * (blob storage often lives on a CDN). Everything above this file speaks in paths and scopes.
 */
import { Authorizer, type FetchLike } from "./auth.ts";
import { getCredentials, type Credentials } from "./credentials.ts";
import { AuthError, RegistryError, TransportError, errorFromResponse, netMessage } from "./errors.ts";
import { endpointFor, type Endpoint } from "./hosts.ts";

export interface RetryPolicy {
  /** total attempts per request */
  attempts: number;
  /** first backoff in ms, doubled each time */
  baseDelayMs: number;
  /** longest single wait we accept from Retry-After or backoff */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: Number(process.env.BUNKER_REGISTRY_ATTEMPTS) || 5,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
};

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** only replayable bodies: a request with a body is retried by sending it again */
  body?: Uint8Array | string | Blob;
  scopes: string[];
  /** statuses handed back instead of thrown (e.g. 404 for a HEAD probe) */
  accept?: number[];
  /** Bun: keep Content-Encoding bytes as sent (blobs are hashed as stored) */
  raw?: boolean;
  /** a single attempt: the caller recovers itself (a PATCH must not be resent blindly) */
  once?: boolean;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_REDIRECTS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  readonly endpoint: Endpoint;
  private base: string | undefined;
  private auth: Authorizer | undefined;
  private pinged: Promise<void> | undefined;

  constructor(
    readonly host: string,
    private readonly opts: { credentials?: Credentials | null; retry?: RetryPolicy; insecure?: string[] } = {},
  ) {
    this.endpoint = endpointFor(host, opts.insecure);
  }

  private doFetch: FetchLike = (url, init) => {
    const i = { ...init } as RequestInit & { tls?: object; decompress?: boolean };
    if (this.endpoint.insecureTLS) i.tls = { rejectUnauthorized: false };
    return fetch(url, i);
  };

  /** GET /v2/ once: picks the scheme and learns the auth challenge (what docker calls the ping) */
  ping(): Promise<void> {
    this.pinged ??= this.doPing().catch((err) => {
      this.pinged = undefined;
      throw err;
    });
    return this.pinged;
  }

  private async doPing(): Promise<void> {
    const creds = this.opts.credentials === undefined ? await getCredentials(this.host) : (this.opts.credentials ?? undefined);
    this.auth = new Authorizer(creds, this.doFetch, this.endpoint.insecureTLS);
    let lastErr: unknown;
    for (const base of this.endpoint.bases) {
      let res: Response;
      try {
        res = await this.withRetries("GET", () => this.doFetch(`${base}/v2/`, { redirect: "follow", headers: { "User-Agent": "bunker" } }), true);
      } catch (err) {
        lastErr = err;
        if ((err as TransportError).cause && ((err as TransportError).cause as { code?: string }).code === "ECONNREFUSED") break;
        continue;
      }
      await res.body?.cancel().catch(() => {});
      if (res.status === 401) {
        if (!this.auth.setChallenge(res.headers.get("www-authenticate"))) {
          throw new AuthError(`${this.host}: registry answered 401 without a usable WWW-Authenticate challenge`);
        }
      } else if (!res.ok && res.status !== 404) {
        lastErr = new RegistryError(`Get "${base}/v2/": unexpected status ${res.status}`, res.status);
        continue;
      }
      this.base = base;
      return;
    }
    if (lastErr instanceof RegistryError) throw lastErr;
    const why = netMessage(lastErr instanceof Error && lastErr.cause instanceof Error ? lastErr.cause : lastErr);
    throw new TransportError(`Get "${this.endpoint.bases[0]}/v2/": ${why}`, lastErr);
  }

  /** "http://127.0.0.1:5000" once pinged */
  get baseURL(): string {
    if (!this.base) throw new Error("registry client used before ping");
    return this.base;
  }

  /** absolute URL for a path like /v2/<name>/blobs/<digest>, or a Location header value */
  url(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.baseURL + "/").toString();
  }

  /** Sends a request with auth and retries; returns the response or throws a RegistryError. */
  async request(pathOrUrl: string, o: RequestOptions): Promise<Response> {
    await this.ping();
    const method = o.method ?? "GET";
    let triedFreshToken = false;
    for (;;) {
      const auth = await this.auth!.header(o.scopes);
      const res = await this.withRetries(method, () => this.send(this.url(pathOrUrl), method, o, auth), true, o.once ? 1 : undefined);
      // a 401 with a challenge gets one more try: a token that expired mid-operation is dropped and
      // fetched again, and a resource that needs more than the ping said gets the new challenge
      if (res.status === 401 && !triedFreshToken && this.auth!.setChallenge(res.headers.get("www-authenticate"))) {
        await res.body?.cancel().catch(() => {});
        if (auth) this.auth!.invalidate(o.scopes);
        triedFreshToken = true;
        continue;
      }
      if (res.ok || (res.status >= 300 && res.status < 400) || o.accept?.includes(res.status)) return res;
      throw await errorFromResponse(res, `${method === "HEAD" ? "Head" : method === "GET" ? "Get" : method} "${this.url(pathOrUrl)}"`);
    }
  }

  /** one logical request: follows redirects by hand so Authorization stays with its origin */
  private async send(url: string, method: string, o: RequestOptions, auth: string | undefined): Promise<Response> {
    let current = url;
    let m = method;
    let body = o.body;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { "User-Agent": "bunker", ...o.headers };
      // blobs are hashed as stored: ask for the bytes themselves, never a transfer-compressed copy
      if (o.raw) headers["Accept-Encoding"] = "identity";
      if (auth && new URL(current).origin === new URL(url).origin) headers.Authorization = auth;
      const res = await this.doFetch(current, { method: m, headers, body, redirect: "manual", decompress: o.raw ? false : undefined } as RequestInit);
      const loc = res.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(res.status) || !loc || !(m === "GET" || m === "HEAD")) return res;
      await res.body?.cancel().catch(() => {});
      current = new URL(loc, current).toString();
      if (res.status === 303) {
        m = "GET";
        body = undefined;
      }
    }
    throw new RegistryError(`${method} ${url}: stopped after ${MAX_REDIRECTS} redirects`);
  }

  /**
   * Retries connection failures and 408/429/5xx with exponential backoff, honoring Retry-After up to
   * maxDelayMs. Bodies are Uint8Array/string, so a retry sends the same bytes again.
   */
  async withRetries(method: string, attempt: () => Promise<Response>, honorStatus: boolean, attempts?: number): Promise<Response> {
    const p = { ...(this.opts.retry ?? DEFAULT_RETRY), ...(attempts ? { attempts } : {}) };
    for (let i = 1; ; i++) {
      let res: Response | undefined;
      let err: unknown;
      try {
        res = await attempt();
      } catch (e) {
        err = e;
      }
      // nobody listening: retrying will not change that, and Docker does not wait either
      const refused = (err as { code?: string } | undefined)?.code === "ECONNREFUSED";
      const last = i >= p.attempts || refused;
      if (res && !(honorStatus && RETRY_STATUS.has(res.status))) return res;
      if (last) {
        if (res) return res;
        throw new TransportError(`${method}: ${netMessage(err)}`, err);
      }
      let wait = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (i - 1));
      if (res) {
        const ra = retryAfterMs(res.headers.get("retry-after"));
        if (ra !== undefined) {
          if (ra > p.maxDelayMs) return res; // the registry asks for longer than we wait: report it
          wait = ra;
        }
        await res.body?.cancel().catch(() => {});
      }
      await sleep(wait);
    }
  }
}

/** Retry-After: delta-seconds or an HTTP date */
export function retryAfterMs(v: string | null, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

const clients = new Map<string, RegistryClient>();

/** one client per host per process, so pings and tokens are shared between pull/push steps */
export function clientFor(host: string): RegistryClient {
  let c = clients.get(host);
  if (!c) clients.set(host, (c = new RegistryClient(host)));
  return c;
}
