/** Signal names and numbers as the container verbs use them (Docker's default stop signal is SIGTERM). */
import { BunkerError, DAEMON } from "../../errors.ts";
import { parseSignal, SIGNALS } from "../../sys/constants.ts";
import { engineError } from "./options.ts";

export const SIGKILL = 9;
export const SIGTERM = 15;
export const DEFAULT_STOP_TIMEOUT = 10;

export function signalNumber(spec: string | undefined, fallback = SIGTERM): number {
  if (spec === undefined || spec === "") return fallback;
  const n = parseSignal(spec);
  if (n === null) throw engineError(`Invalid signal: ${spec}`);
  return n;
}

/** the numbers moby's ValidSignalForPlatform takes on Linux: its SignalMap's, so not 32 and 33 (glibc's own) */
const PLATFORM_SIGNALS = new Set(Object.values(SIGNALS));

/**
 * `kill -s` checked as moby 28's ContainerKill does, before it looks the container up: a number is
 * taken as given (strconv.Atoi: a sign and leading zeros pass), 0 and unknown names are invalid, a number
 * Linux has no signal for is refused as "not supported", and the router wraps either answer in
 * "cannot kill container: <ref>: ". Returns the signal in a form signalNumber takes.
 */
export function killSignal(ref: string, spec: string | undefined): string | undefined {
  if (spec === undefined || spec === "") return spec;
  const refuse = (why: string) => new BunkerError(`${DAEMON}cannot kill container: ${ref}: ${why}`);
  let n: number | null;
  if (/^[+-]?\d+$/.test(spec)) {
    const big = BigInt(spec);
    // outside Go's int: Atoi fails and the name lookup does too
    n = big === 0n || big > 0x7fff_ffff_ffff_ffffn || big < -0x8000_0000_0000_0000n ? null : Number(big);
    if (n !== null && !PLATFORM_SIGNALS.has(n)) throw refuse(`the linux daemon does not support signal ${big}`);
  } else n = parseSignal(spec);
  if (n === null) throw refuse(`Invalid signal: ${spec}`);
  return String(n);
}
