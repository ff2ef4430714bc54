/**
 * Linux capabilities: names ⇄ bit numbers, Docker's --cap-add/--cap-drop/--privileged arithmetic, and the
 * 64-bit masks init hands to capset(2). Decided in the parent (crun's "prepare in the parent"); init only
 * applies the CapabilitySpec it is given.
 */
import { readFileSync } from "node:fs";
import { BunkerError } from "../errors.ts";
import { CAPABILITIES, CAP_LAST_CAP } from "../sys/constants.ts";
import type { CapabilitySpec } from "./spec.ts";

/** Raised for a bad --cap-add/--cap-drop; exit 125 like any other engine error in `run`/`create`. */
export class CapabilityError extends BunkerError {
  constructor(message: string) {
    super(message, { exitCode: 125 });
    this.name = "CapabilityError";
  }
}

/** Bit number -> "CAP_…" name, for 0..CAP_LAST_CAP. */
export const CAP_NAMES: readonly string[] = (() => {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(CAPABILITIES)) out[bit] = name;
  return Object.freeze(out);
})();

/** Every capability this code knows, in bit order ("CAP_CHOWN" … "CAP_CHECKPOINT_RESTORE"). */
export const ALL_CAPABILITIES: readonly string[] = CAP_NAMES;

export function capNumber(name: string): number | undefined {
  return CAPABILITIES[name];
}

export function capName(bit: number): string | undefined {
  return CAP_NAMES[bit];
}

/** Bit mask of the named capabilities (CapBnd/CapEff style). Unknown names throw. */
export function capMask(names: Iterable<string>): bigint {
  let mask = 0n;
  for (const n of names) {
    const bit = CAPABILITIES[n];
    if (bit === undefined) throw new CapabilityError(`unknown capability: ${JSON.stringify(n)}`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** Names of the bits set in a mask, in bit order; bits above CAP_LAST_CAP are ignored (newer kernels). */
export function capsFromMask(mask: bigint): string[] {
  const out: string[] = [];
  for (let bit = 0; bit <= CAP_LAST_CAP; bit++) if ((mask >> BigInt(bit)) & 1n) out.push(CAP_NAMES[bit]!);
  return out;
}

/**
 * The capabilities this process may hand out (its bounding set), from /proc/self/status CapBnd. Docker's
 * "ALL" and --privileged mean these, not all 41: the bounding set here lacks CAP_SYS_RESOURCE, and
 * asking capset for a capability outside it fails with EPERM.
 */
export function currentBoundingCaps(statusText?: string): string[] {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/status", "utf8");
    } catch {
      return [...ALL_CAPABILITIES];
    }
  }
  const m = /^CapBnd:\s*([0-9a-fA-F]+)$/m.exec(text);
  return m ? capsFromMask(BigInt(`0x${m[1]}`)) : [...ALL_CAPABILITIES];
}

/**
 * Docker's NormalizeLegacyCapabilities: upper-case, add the "CAP_" prefix when missing, keep the magic
 * "ALL". Unknown names get Docker's exact wording (`unknown capability: "CAP_FOO"`); names the kernel
 * knows but this environment cannot grant get Docker's second message.
 */
export function normalizeCapabilities(caps: readonly string[], available: readonly string[] = ALL_CAPABILITIES): string[] {
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.trim().toUpperCase();
    if (c === "ALL") {
      out.push(c);
      continue;
    }
    if (!c.startsWith("CAP_")) c = `CAP_${c}`;
    if (CAPABILITIES[c] === undefined) throw new CapabilityError(`unknown capability: ${JSON.stringify(c)}`);
    if (!available.includes(c)) {
      throw new CapabilityError(
        `capability not supported by your kernel or not available in the current environment: ${JSON.stringify(c)}`,
      );
    }
    out.push(c);
  }
  return out;
}

/**
 * Docker's TweakCapabilities. --privileged → everything available; --cap-add ALL → everything available
 * minus the drops; --cap-drop ALL → only the adds; otherwise defaults minus drops plus adds. The result
 * has no duplicates and keeps Docker's order (defaults first, then adds).
 */
export function tweakCapabilities(
  defaults: readonly string[],
  add: readonly string[],
  drop: readonly string[],
  privileged: boolean,
  available: readonly string[] = ALL_CAPABILITIES,
): string[] {
  if (privileged) return [...available];
  if (add.length === 0 && drop.length === 0) return [...defaults];
  const capDrop = normalizeCapabilities(drop, available);
  const capAdd = normalizeCapabilities(add, available);
  let caps: string[];
  if (capAdd.includes("ALL")) caps = available.filter((c) => !capDrop.includes(c));
  else if (capDrop.includes("ALL")) caps = capAdd;
  else caps = [...defaults.filter((c) => !capDrop.includes(c)), ...capAdd];
  return [...new Set(caps)];
}

export interface CapabilityOptions {
  /** the container user's uid: non-root users get only the bounding set, like execve would leave them */
  uid?: number;
  /** what "ALL"/--privileged expand to; defaults to this process's bounding set */
  available?: readonly string[];
}

/**
 * The sets init applies. Like moby's SetCapabilities: root gets bounding = permitted = effective; a
 * non-root user gets only the bounding set (execve as non-root clears permitted/effective anyway, and
 * an explicit set would be surprising). Inheritable and ambient stay empty, as in Docker ≥ 23.
 */
export function capabilitySpec(
  defaults: readonly string[],
  add: readonly string[] = [],
  drop: readonly string[] = [],
  privileged = false,
  opts: CapabilityOptions = {},
): CapabilitySpec {
  const available = opts.available ?? currentBoundingCaps();
  const caps = tweakCapabilities(defaults, add, drop, privileged, available);
  const root = (opts.uid ?? 0) === 0;
  return {
    bounding: caps,
    effective: root ? [...caps] : [],
    permitted: root ? [...caps] : [],
    inheritable: [],
    ambient: [],
  };
}

/** The masks capset(2)/PR_CAPBSET_DROP need, from a CapabilitySpec. */
export function capabilityMasks(spec: CapabilitySpec): {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
} {
  return {
    bounding: capMask(spec.bounding),
    effective: capMask(spec.effective),
    permitted: capMask(spec.permitted),
    inheritable: capMask(spec.inheritable),
    ambient: capMask(spec.ambient),
  };
}
