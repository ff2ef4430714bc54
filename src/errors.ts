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

/** "No such image: x", "No such container: x", "No such object: x" */
export class NotFoundError extends BunkerError {
  readonly kind: string;
  readonly ref: string;
  constructor(kind: "image" | "container" | "volume" | "network" | "object", ref: string, exitCode = 1) {
    const label = kind === "object" ? "object" : kind;
    super(kind === "volume" ? `get ${ref}: no such volume` : `No such ${label}: ${ref}`, { exitCode });
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

/** Bad flag values and arguments; printed with a hint to --help. */
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
