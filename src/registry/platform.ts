/**
 * Platforms: the host's, a parsed --platform, and choosing from an index the way containerd's default
 * matcher does (os and architecture must match; variant must match when the host has one, arm64 defaults
 * to v8).
 */
import type { Platform } from "../image/content/types.ts";
import { BunkerError } from "../errors.ts";

const ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  const p: Platform = { os: "linux", architecture };
  if (architecture === "arm64") p.variant = "v8";
  return p;
}

/** "linux/arm64/v8", "linux/amd64", "arm64" */
export function parsePlatform(s: string): Platform {
  const parts = s.toLowerCase().split("/");
  if (parts.length > 3 || parts.some((x) => x === "")) throw new BunkerError(`"${s}": unknown operating system or architecture: invalid argument`);
  let [os, arch, variant] = parts.length === 1 ? ["linux", parts[0]!, undefined] : parts;
  arch = normalizeArch(arch!);
  if (arch === "arm64" && !variant) variant = "v8";
  return variant ? { os: os!, architecture: arch, variant } : { os: os!, architecture: arch };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

function normalizeArch(a: string): string {
  const m: Record<string, string> = { x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64", armhf: "arm", i386: "386" };
  return m[a] ?? a;
}

export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  if (have.os !== want.os || normalizeArch(have.architecture) !== want.architecture) return false;
  const hv = have.variant ?? (want.architecture === "arm64" ? "v8" : undefined);
  return !want.variant || hv === want.variant;
}
