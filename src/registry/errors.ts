/**
 * Registry failures as typed errors, so callers branch with instanceof (retry? auth? unsupported?) and the
 * user sees one line in Docker's words. Messages never contain credentials or tokens.
 */
import { BunkerError } from "../errors.ts";

/** one entry of the distribution spec's {"errors":[{code,message,detail}]} body */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

export class RegistryError extends BunkerError {
  readonly status: number;
  readonly codes: string[];
  constructor(message: string, status = 0, codes: string[] = [], cause?: unknown) {
    super(message, { cause });
    this.name = "RegistryError";
    this.status = status;
    this.codes = codes;
  }
}

/** 401/403 after credentials were tried, or a token server that refused */
export class AuthError extends RegistryError {
  constructor(message: string, status = 401, codes: string[] = []) {
    super(message, status, codes);
    this.name = "AuthError";
  }
}

/** manifest/blob/repository unknown (404) */
export class RegistryNotFoundError extends RegistryError {
  constructor(message: string, codes: string[] = []) {
    super(message, 404, codes);
    this.name = "RegistryNotFoundError";
  }
}

/** bytes that do not match the digest or size they were announced with */
export class DigestError extends BunkerError {
  readonly digest: string;
  constructor(digest: string, message: string) {
    super(message);
    this.name = "DigestError";
    this.digest = digest;
  }
}

/** schema1, foreign layers, unknown media types */
export class UnsupportedError extends BunkerError {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedError";
  }
}

/** connection refused/reset/cut: worth a retry (with Range when part of a blob arrived) */
export class TransportError extends BunkerError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "TransportError";
  }
}

/** "manifest unknown: manifest unknown" — Docker's rendering of errcode entries */
export function formatErrorEntries(entries: RegistryErrorEntry[]): string {
  return entries
    .map((e) => {
      const code = e.code.toLowerCase().replace(/_/g, " ");
      return e.message ? `${code}: ${e.message}` : code;
    })
    .join("; ");
}

/** reads an error body without trusting it: size-capped, JSON optional */
export async function errorFromResponse(res: Response, what: string): Promise<RegistryError> {
  let entries: RegistryErrorEntry[] = [];
  try {
    const text = (await res.text()).slice(0, 64 * 1024);
    const body = JSON.parse(text) as { errors?: RegistryErrorEntry[] };
    if (Array.isArray(body.errors)) entries = body.errors.filter((e) => e && typeof e.code === "string");
  } catch {
    // not JSON: the status line says enough
  }
  const codes = entries.map((e) => e.code);
  const detail = entries.length ? formatErrorEntries(entries) : `unexpected status from ${res.status === 0 ? "" : `${res.status} `}${statusText(res.status)}`.trim();
  const message = `${what}: ${detail}`;
  if (res.status === 401 || res.status === 403) return new AuthError(message, res.status, codes);
  if (res.status === 404) return new RegistryNotFoundError(message, codes);
  return new RegistryError(message, res.status, codes);
}

function statusText(status: number): string {
  const names: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
  };
  return names[status] ?? "";
}

/** a network error's message without Bun's "For more information, pass `verbose: true`…" tail */
export function netMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  if ((err as { code?: string })?.code === "ECONNREFUSED") return "connect: connection refused";
  return m.replace(/\.? For more information, pass `verbose: true`.*$/s, "").replace(/^TransportError: /, "");
}
