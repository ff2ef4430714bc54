/**
 * `login` checks credentials against the registry before storing them (as docker does): a Basic registry
 * must answer GET /v2/ with 200, a Bearer registry's token server must hand out a token.
 */
import { RegistryClient } from "./client.ts";
import type { Credentials } from "./credentials.ts";

export async function verifyLogin(host: string, creds: Credentials): Promise<void> {
  const client = new RegistryClient(host, { credentials: creds });
  const res = await client.request("/v2/", { scopes: [] });
  await res.body?.cancel().catch(() => {});
}
