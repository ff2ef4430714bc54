/**
 * A loopback HTTP proxy in front of a test registry that misbehaves on request: flip a byte, cut the
 * connection mid-body, answer 500/429/503 (with Retry-After), rewrite a manifest, or act as a Bearer token
 * server (issuing short-lived tokens, or HTML instead of JSON). Rules match by method and path regexp and
 * fire a bounded number of times; every request is logged so tests can assert on Range, Authorization,
 * retries.
 */
export type FaultAction =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  | { kind: "flip"; offset?: number }
  | { kind: "cut"; after: number }
  /** an upload PATCH of which the registry only receives the first `after` bytes */
  | { kind: "truncateUpload"; after: number }
  | { kind: "rewrite"; fn: (body: Uint8Array) => Uint8Array; keepDigestHeader?: boolean; contentType?: string };

export interface FaultRule {
  method?: string;
  path: RegExp;
  /** how many times the rule fires before it is spent (default: always) */
  times?: number;
  action: FaultAction;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range?: string;
  contentRange?: string;
  authorization?: string;
}

export interface BearerOptions {
  users: Record<string, string>;
  /** token lifetime the proxy enforces (s) */
  ttl?: number;
  /** answer the token endpoint with an HTML page */
  html?: boolean;
  /** allow anonymous token requests (like Docker Hub for public images) */
  anonymous?: boolean;
}

export interface FaultProxy {
  host: string;
  rules: FaultRule[];
  log: LoggedRequest[];
  bearer?: BearerOptions;
  tokensIssued: number;
  /** called for every request before anything else (e.g. to revoke tokens mid-pull) */
  onRequest?: (r: LoggedRequest) => void;
  /** invalidates every token issued so far (a token that expires early) */
  revokeTokens(): void;
  stop(): void;
}

export function startFaultProxy(upstreamHost: string, opts: { bearer?: BearerOptions } = {}): FaultProxy {
  const upstream = `http://${upstreamHost}`;
  const tokens = new Map<string, number>(); // token -> expiry (ms)
  const state: FaultProxy = { host: "", rules: [], log: [], bearer: opts.bearer, tokensIssued: 0, revokeTokens: () => tokens.clear(), stop: () => server.stop(true) };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    async fetch(req) {
      const url = new URL(req.url);
      const logged = { method: req.method, path: url.pathname + url.search, range: req.headers.get("range") ?? undefined, contentRange: req.headers.get("content-range") ?? undefined, authorization: req.headers.get("authorization") ?? undefined };
      state.log.push(logged);
      state.onRequest?.(logged);
      const origin = `http://${state.host}`;

      const b = state.bearer;
      if (b && url.pathname === "/token") return tokenEndpoint(req, b);
      if (b && url.pathname.startsWith("/v2")) {
        const tok = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
        const exp = tok ? tokens.get(tok) : undefined;
        if (exp === undefined || exp < Date.now()) {
          const scope = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
          const challenge = `Bearer realm="${origin}/token",service="faultproxy"${scope ? `,scope="repository:${scope}:pull,push"` : ""}`;
          return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, { status: 401, headers: { "WWW-Authenticate": challenge } });
        }
      }

      const rule = state.rules.find((r) => (!r.method || r.method === req.method) && r.path.test(url.pathname) && (r.times === undefined || r.times > 0));
      if (rule && rule.times !== undefined) rule.times--;
      if (rule?.action.kind === "status") {
        return new Response(rule.action.body ?? "", { status: rule.action.status, headers: rule.action.headers });
      }

      const headers = new Headers(req.headers);
      headers.delete("host");
      if (b) headers.delete("authorization");
      let body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await req.arrayBuffer());
      if (rule?.action.kind === "truncateUpload" && body && body.length > rule.action.after) {
        const start = Number(/^(\d+)-/.exec(headers.get("content-range") ?? "0-")?.[1] ?? 0);
        body = body.subarray(0, rule.action.after);
        headers.set("content-range", `${start}-${start + body.length - 1}`);
        headers.set("content-length", String(body.length));
      }
      const res = await fetch(upstream + url.pathname + url.search, { method: req.method, headers, body, redirect: "manual", decompress: false } as RequestInit);
      const out = new Headers(res.headers);
      const loc = out.get("location");
      if (loc) out.set("location", loc.replace(upstream, origin));
      out.delete("content-encoding");
      out.delete("transfer-encoding");
      if (!rule || req.method === "HEAD" || rule.action.kind === "truncateUpload") return new Response(res.body, { status: res.status, headers: out });

      const a = rule.action;
      if (a.kind === "rewrite") {
        const changed = a.fn(new Uint8Array(await res.arrayBuffer()));
        if (!a.keepDigestHeader) out.delete("docker-content-digest");
        out.set("content-length", String(changed.length));
        if (a.contentType) out.set("content-type", a.contentType);
        return new Response(changed, { status: res.status, headers: out });
      }
      const data = new Uint8Array(await res.arrayBuffer());
      if (a.kind === "flip") {
        const at = Math.min(a.offset ?? Math.floor(data.length / 2), data.length - 1);
        data[at]! ^= 0xff;
        return new Response(data, { status: res.status, headers: out });
      }
      // cut: send `after` bytes with the full Content-Length, then drop the connection
      let sent = false;
      const stream = new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (!sent) {
            sent = true;
            ctrl.enqueue(data.subarray(0, a.after));
            return;
          }
          // closing short of Content-Length makes the server drop the connection mid-body
          ctrl.close();
        },
      });
      out.set("content-length", String(data.length));
      return new Response(stream, { status: res.status, headers: out });
    },
  });
  state.host = `127.0.0.1:${server.port}`;

  function tokenEndpoint(req: Request, b: BearerOptions): Response {
    if (b.html) return new Response("<html><body><h1>Welcome to our login portal</h1></body></html>", { headers: { "Content-Type": "text/html" } });
    const basic = /^Basic (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    if (basic) {
      const [u, ...rest] = Buffer.from(basic, "base64").toString().split(":");
      if (b.users[u!] !== rest.join(":")) return Response.json({ details: "incorrect username or password" }, { status: 401 });
    } else if (!b.anonymous) {
      return Response.json({ details: "authentication required" }, { status: 401 });
    }
    const token = crypto.randomUUID();
    const ttl = b.ttl ?? 300;
    tokens.set(token, Date.now() + ttl * 1000);
    state.tokensIssued++;
    return Response.json({ token, expires_in: ttl, issued_at: new Date().toISOString() });
  }
  return state;
}
