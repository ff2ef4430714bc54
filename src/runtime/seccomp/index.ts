/**
 * Seccomp for containers: Docker's default profile (or a user's JSON profile) compiled to classic BPF
 * in the parent. RuntimeSpec.process.seccomp holds the program as base64, or null for unconfined.
 */
import { readFileSync } from "node:fs";
import { BunkerError } from "../../errors.ts";
import { compileSeccomp, hostSeccompArch, type SeccompArch } from "./compile.ts";
import { DEFAULT_PROFILE, type SeccompProfile } from "./profile.ts";

export { disassemble } from "./bpf.ts";
export { compileSeccomp, hostSeccompArch, actionValue, ARCHES, SeccompError, type CompileOptions, type SeccompArch } from "./compile.ts";
export { DEFAULT_PROFILE, type SeccompAction, type SeccompArg, type SeccompOp, type SeccompProfile, type SeccompSyscall } from "./profile.ts";
export { SYSCALLS_AARCH64, SYSCALLS_X86_64 } from "./syscalls.ts";
export { SYSCALLS_ARM, SYSCALLS_I386 } from "./syscalls-compat.ts";

/** `--security-opt seccomp=unconfined` */
export const SECCOMP_UNCONFINED = "unconfined";

const cache = new Map<string, string>();

/** Docker's default profile for this capability set, base64 (what RuntimeSpec.process.seccomp holds). */
export function defaultSeccompProgram(capabilities: readonly string[], arch: SeccompArch = hostSeccompArch()): string {
  const key = `${arch}:${[...capabilities].sort().join(",")}`;
  let b64 = cache.get(key);
  if (b64 === undefined) {
    b64 = Buffer.from(compileSeccomp(DEFAULT_PROFILE, { arch, capabilities })).toString("base64");
    cache.set(key, b64);
  }
  return b64;
}

/** base64 from the spec → the bytes LinuxSys.seccompSetFilter takes */
export function decodeSeccompProgram(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, "base64"));
}

/** Parse a Docker seccomp JSON profile, with Docker's error wording. */
export function parseSeccompProfile(text: string): SeccompProfile {
  let p: SeccompProfile;
  try {
    p = JSON.parse(text) as SeccompProfile;
  } catch (e) {
    throw new BunkerError(`Decoding seccomp profile failed: ${(e as Error).message}`, { exitCode: 125 });
  }
  if (typeof p !== "object" || p === null || typeof p.defaultAction !== "string") {
    throw new BunkerError("Decoding seccomp profile failed: defaultAction missing", { exitCode: 125 });
  }
  p.syscalls ??= [];
  return p;
}

/**
 * What goes into RuntimeSpec.process.seccomp, from `--security-opt seccomp=…` and --privileged, as
 * Docker decides it: privileged or "unconfined" → null; a path → that JSON profile; else the default.
 */
export function resolveSeccomp(opts: {
  /** the value after "seccomp=" (or "seccomp:"), if given */
  profile?: string;
  privileged?: boolean;
  capabilities: readonly string[];
  arch?: SeccompArch;
}): string | null {
  const arch = opts.arch ?? hostSeccompArch();
  if (opts.profile === SECCOMP_UNCONFINED) return null;
  if (opts.profile === undefined || opts.profile === "" || opts.profile === "builtin") {
    return opts.privileged ? null : defaultSeccompProgram(opts.capabilities, arch);
  }
  let text: string;
  try {
    text = readFileSync(opts.profile, "utf8");
  } catch (e) {
    throw new BunkerError(`opening seccomp profile (${opts.profile}) failed: ${(e as Error).message}`, { exitCode: 125 });
  }
  const program = compileSeccomp(parseSeccompProfile(text), { arch, capabilities: opts.capabilities });
  return Buffer.from(program).toString("base64");
}
