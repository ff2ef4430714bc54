import { humanSize } from "../_output.ts";
/**
 * Shared shaping for the image commands (not a command itself): Docker's error prefixes, its JSON
 * escaping, and the size/time strings of the image tables.
 */
import { BunkerError } from "../../errors.ts";

/** errors the daemon would have answered read "Error response from daemon: ..." in Docker's CLI */
export function asDaemonError(err: unknown): unknown {
  if (err instanceof BunkerError && !/^Error[ :]/.test(err.message)) {
    return new BunkerError(`Error response from daemon: ${err.message}`, { exitCode: err.exitCode, cause: err });
  }
  return err;
}

export async function daemonCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asDaemonError(err);
  }
}

export { goJson } from "../_output.ts";

/** units.HumanSize: 4 significant digits ("4.261MB"), as prune's "Total reclaimed space" uses */
export function humanSize4(bytes: number): string {
  return humanSize(bytes, 4);
}

/** Go's time.Time.String() in UTC: "2024-01-11 10:22:03 +0000 UTC" */
export function goTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

/** RFC 3339 without fractions, as history -H=false prints */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}
