/** A tar stream that is malformed, truncated or uses a feature we refuse (sparse files, odd types). */
export class TarFormatError extends Error {
  /** short machine-readable reason, e.g. "sparse", "checksum", "truncated" */
  readonly code: string;
  /** the entry's name when known */
  readonly entry?: string;
  constructor(code: string, message: string, entry?: string) {
    super(entry !== undefined ? `tar: entry ${JSON.stringify(entry)}: ${message}` : `tar: ${message}`);
    this.name = "TarFormatError";
    this.code = code;
    if (entry !== undefined) this.entry = entry;
  }
}

/** A layer that parses fine but would do something unsafe or impossible when applied. */
export class LayerApplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LayerApplyError";
  }
}
