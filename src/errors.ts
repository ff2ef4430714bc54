/**
 * Errors a user sees as one line. `exitCode` follows Docker: 1 for a failed request (no such image,
 * conflict), 125 for engine errors in run/create, 126 not executable, 127 not found.
 */
export class BunkerError extends Error {
  readonly exitCode: number;
  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = "BunkerError";
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** what Docker's CLI puts before every error the daemon answered */
export const DAEMON = "Error response from daemon: ";

/**
 * "No such image: x", "No such object: x", and "Error response from daemon: No such container: x": every
 * container verb prints that line as docker 28 does, so the container kind carries the daemon's prefix
 */
export class NotFoundError extends BunkerError {
  readonly kind: string;
  readonly ref: string;
  constructor(kind: "image" | "container" | "volume" | "network" | "object", ref: string, exitCode = 1) {
    const label = kind === "object" ? "object" : kind;
    const text = kind === "volume" ? `get ${ref}: no such volume` : `No such ${label}: ${ref}`;
    super(kind === "container" ? `${DAEMON}${text}` : text, { exitCode });
    this.name = "NotFoundError";
    this.kind = kind;
    this.ref = ref;
  }
}

/** Docker answers 409 Conflict for these (name in use, image in use, container running). */
export class ConflictError extends BunkerError {
  constructor(message: string, exitCode = 1) {
    super(message, { exitCode });
    this.name = "ConflictError";
  }
}

/**
 * Bad flag values and arguments, found before any request is made (Docker's client-side checks: exit 125
 * for run and create even where a daemon-side error of `create` exits 1).
 */
export class UsageError extends BunkerError {
  constructor(message: string, exitCode = 1) {
    super(message, { exitCode });
    this.name = "UsageError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
