/**
 * Where each blob came from (registry host + repository), like Docker's v2 metadata: push uses it to try a
 * cross-repository mount instead of uploading bytes the registry already has. A hint only: a wrong or
 * stale entry costs one refused mount request.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../../config.ts";

const MAX_SOURCES = 8;

function file(digest: string): string {
  return join(paths().root, "distribution", digest.replace(/^sha256:/, ""));
}

export function blobSources(digest: string): string[] {
  const f = file(digest);
  if (!/^[a-f0-9]{64}$/.test(digest.replace(/^sha256:/, "")) || !existsSync(f)) return [];
  try {
    const v = JSON.parse(readFileSync(f, "utf8"));
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** remembers "host/repo" as a source of digest (most recent first) */
export function addBlobSource(digest: string, hostRepo: string): void {
  const list = [hostRepo, ...blobSources(digest).filter((s) => s !== hostRepo)].slice(0, MAX_SOURCES);
  const f = file(digest);
  mkdirSync(join(paths().root, "distribution"), { recursive: true });
  const tmp = `${f}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(list));
  renameSync(tmp, f);
}
