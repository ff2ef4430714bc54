/** Content-store failures, one class each so callers branch with instanceof (containerd's errdefs). */
import { BunkerError } from "../../errors.ts";

/** commit saw a different byte count than the caller expected; the ingest is dropped */
export class SizeMismatchError extends BunkerError {
  constructor(
    readonly actual: number,
    readonly expected: number,
  ) {
    super(`unexpected commit size ${actual}, expected ${expected}`);
    this.name = "SizeMismatchError";
  }
}

/** commit hashed to a different digest than the caller expected; the ingest is dropped */
export class DigestMismatchError extends BunkerError {
  constructor(
    readonly actual: string,
    readonly expected: string,
  ) {
    super(`unexpected commit digest ${actual}, expected ${expected}: failed precondition`);
    this.name = "DigestMismatchError";
  }
}

/** another writer (this process or another) holds the ingest for this ref */
export class IngestLockedError extends BunkerError {
  constructor(readonly ref: string) {
    super(`ref ${ref} locked: unavailable`);
    this.name = "IngestLockedError";
  }
}

export class BlobNotFoundError extends BunkerError {
  constructor(readonly digest: string) {
    super(`content digest ${digest}: not found`);
    this.name = "BlobNotFoundError";
  }
}

export class InvalidDigestError extends BunkerError {
  constructor(readonly digest: string) {
    super(`invalid digest ${JSON.stringify(digest)}: only sha256 with 64 lowercase hex digits is supported`);
    this.name = "InvalidDigestError";
  }
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;

/** the hex part of "sha256:<hex>"; anything else is refused before it can become a path */
export function digestHex(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new InvalidDigestError(digest);
  return m[1]!;
}

/** writing or syncing an ingest failed (ENOSPC, EIO, ...); the ingest is dropped by abort */
export class IngestWriteError extends BunkerError {
  constructor(
    readonly ref: string,
    readonly reason: string,
    readonly errnoCode?: string,
  ) {
    super(`write ingest ${ref}: ${reason}`);
    this.name = "IngestWriteError";
  }
}
