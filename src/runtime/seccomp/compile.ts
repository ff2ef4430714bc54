/**
 * Profile → classic BPF for seccomp(SECCOMP_SET_MODE_FILTER), in TypeScript, in the parent (crun's
 * "prepare in the parent"): init only installs the bytes. Layout:
 *   arch check: the native audit arch and (like Docker) its 32-bit compat ABI (i386 on x86_64, arm on
 *     aarch64) each get a section; anything else is killed
 *   x86_64: x32 syscall numbers (bit 30) are killed, as libseccomp does for a filter without x32
 *   per section, a binary search over syscall-number intervals → a shared `ret`, or a block of argument
 *   tests for the few syscalls with conditions (clone, socket, personality)
 */
import { release } from "node:os";
import { Label, Program, BPF_JMP_JEQ_K, BPF_JMP_JGE_K, BPF_JMP_JGT_K } from "./bpf.ts";
import type { SeccompAction, SeccompArg, SeccompFilter, SeccompProfile } from "./profile.ts";
import { SYSCALLS_AARCH64, SYSCALLS_X86_64 } from "./syscalls.ts";
import { SYSCALLS_ARM, SYSCALLS_I386 } from "./syscalls-compat.ts";

export type SeccompArch = "x86_64" | "aarch64";

export interface CompileOptions {
  arch: SeccompArch;
  /** the container's bounding set ("CAP_SYS_ADMIN" style): decides the capability-gated rules */
  capabilities: readonly string[];
  /** for `minKernel` rules; defaults to this host's kernel */
  kernel?: string;
  /** also filter (instead of kill) the 32-bit compat ABI, as Docker does; default true */
  compat?: boolean;
}

const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_KILL_THREAD = 0x00000000;
const SECCOMP_RET_TRAP = 0x00030000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_TRACE = 0x7ff00000;
const SECCOMP_RET_LOG = 0x7ffc0000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;

/** offsets in struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; } */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLo = (i: number) => 16 + 8 * i; // little-endian: low word first
const argHi = (i: number) => 20 + 8 * i;

type Table = Readonly<Record<string, number>>;
export const ARCHES: Record<SeccompArch, { audit: number; docker: string; table: Table; x32: boolean; compat: { audit: number; table: Table } }> = {
  x86_64: { audit: 0xc000003e, docker: "amd64", table: SYSCALLS_X86_64, x32: true, compat: { audit: 0x40000003, table: SYSCALLS_I386 } },
  aarch64: { audit: 0xc00000b7, docker: "arm64", table: SYSCALLS_AARCH64, x32: false, compat: { audit: 0x40000028, table: SYSCALLS_ARM } },
};

export class SeccompError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SeccompError";
  }
}

/** The native arch of this process, in seccomp's naming. */
export function hostSeccompArch(): SeccompArch {
  if (process.arch === "x64") return "x86_64";
  if (process.arch === "arm64") return "aarch64";
  throw new SeccompError(`seccomp: unsupported architecture ${process.arch}`);
}

export function actionValue(action: SeccompAction, errno?: number): number {
  switch (action) {
    case "SCMP_ACT_ALLOW":
      return SECCOMP_RET_ALLOW;
    case "SCMP_ACT_ERRNO":
      return (SECCOMP_RET_ERRNO | ((errno ?? EPERM) & 0xffff)) >>> 0;
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SECCOMP_RET_KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SECCOMP_RET_KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SECCOMP_RET_TRAP;
    case "SCMP_ACT_TRACE":
      return (SECCOMP_RET_TRACE | ((errno ?? 0) & 0xffff)) >>> 0;
    case "SCMP_ACT_LOG":
      return SECCOMP_RET_LOG;
    default:
      throw new SeccompError(`seccomp: unsupported action ${JSON.stringify(action)}`);
  }
}

function kernelAtLeast(kernel: string, min: string): boolean {
  const [a = 0, b = 0] = kernel.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const [c = 0, d = 0] = min.split(".").map((x) => Number.parseInt(x, 10) || 0);
  return a !== c ? a > c : b >= d;
}

/** Docker's setupSeccomp: does a rule apply for this arch / capability set / kernel? */
function applies(inc: SeccompFilter | undefined, exc: SeccompFilter | undefined, arch: string, caps: Set<string>, kernel: string): boolean {
  if (exc) {
    if (exc.arches?.includes(arch)) return false;
    if (exc.caps?.some((c) => caps.has(c))) return false;
    if (exc.minKernel && kernelAtLeast(kernel, exc.minKernel)) return false;
  }
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(arch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  }
  return true;
}

interface Rule {
  action: number;
  args: SeccompArg[];
}

/**
 * syscall number → its rules, in profile order. Includes/excludes are judged against the native arch,
 * as Docker does; names are then looked up in the section's table (libseccomp adds a rule to every
 * arch of the filter where the name exists).
 */
function collect(profile: SeccompProfile, opts: CompileOptions, table: Table): Map<number, Rule[]> {
  const a = ARCHES[opts.arch];
  const caps = new Set(opts.capabilities);
  const kernel = opts.kernel ?? release();
  const byNr = new Map<number, Rule[]>();
  for (const sc of profile.syscalls) {
    if (sc.name && sc.names?.length) {
      throw new SeccompError("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
    }
    if (!applies(sc.includes, sc.excludes, a.docker, caps, kernel)) continue;
    const action = actionValue(sc.action, sc.errnoRet);
    for (const name of sc.names ?? (sc.name ? [sc.name] : [])) {
      const nr = table[name];
      if (nr === undefined) continue; // not a syscall on this arch (libseccomp skips these too)
      for (const arg of sc.args ?? []) {
        if (arg.index < 0 || arg.index > 5) throw new SeccompError(`seccomp: ${name}: argument index ${arg.index} out of range 0..5`);
      }
      const list = byNr.get(nr) ?? [];
      list.push({ action, args: sc.args ?? [] });
      byNr.set(nr, list);
    }
  }
  return byNr;
}

const u64 = (v: number | bigint | undefined): bigint => BigInt.asUintN(64, BigInt(v ?? 0));
const hi = (v: bigint) => Number(v >> 32n);
const lo = (v: bigint) => Number(v & 0xffffffffn);

/**
 * 64-bit comparison of one argument, as libseccomp does it: the high words decide unless equal, then
 * the low words. Falls through to the next code when the test passes, jumps to `fail` otherwise.
 */
function emitArg(p: Program, arg: SeccompArg, fail: Label): void {
  const i = arg.index;
  const pass = new Label("arg-pass");
  const checkLo = new Label("arg-lo");
  if (arg.op === "SCMP_CMP_MASKED_EQ") {
    const mask = u64(arg.value);
    const want = u64(arg.valueTwo) & mask;
    p.ld(argHi(i));
    p.and(hi(mask));
    p.jmp(BPF_JMP_JEQ_K, hi(want), undefined, fail);
    p.ld(argLo(i));
    p.and(lo(mask));
    p.jmp(BPF_JMP_JEQ_K, lo(want), undefined, fail);
    return;
  }
  const v = u64(arg.value);
  p.ld(argHi(i));
  switch (arg.op) {
    case "SCMP_CMP_EQ":
      p.jmp(BPF_JMP_JEQ_K, hi(v), undefined, fail);
      p.ld(argLo(i));
      p.jmp(BPF_JMP_JEQ_K, lo(v), undefined, fail);
      return;
    case "SCMP_CMP_NE":
      p.jmp(BPF_JMP_JEQ_K, hi(v), checkLo, pass);
      p.label(checkLo);
      p.ld(argLo(i));
      p.jmp(BPF_JMP_JEQ_K, lo(v), fail, pass);
      break;
    case "SCMP_CMP_GT":
    case "SCMP_CMP_GE":
      p.jmp(BPF_JMP_JGT_K, hi(v), pass);
      p.jmp(BPF_JMP_JEQ_K, hi(v), undefined, fail);
      p.ld(argLo(i));
      p.jmp(arg.op === "SCMP_CMP_GT" ? BPF_JMP_JGT_K : BPF_JMP_JGE_K, lo(v), pass, fail);
      break;
    case "SCMP_CMP_LT":
    case "SCMP_CMP_LE":
      p.jmp(BPF_JMP_JGT_K, hi(v), fail);
      p.jmp(BPF_JMP_JEQ_K, hi(v), undefined, pass);
      p.ld(argLo(i));
      // LT: fail when lo >= v; LE: fail when lo > v
      p.jmp(arg.op === "SCMP_CMP_LT" ? BPF_JMP_JGE_K : BPF_JMP_JGT_K, lo(v), fail, pass);
      break;
    default:
      throw new SeccompError(`seccomp: unsupported operator ${JSON.stringify(arg.op)}`);
  }
  p.label(pass);
}

/** Shared `ret` instructions, one per distinct action value, emitted at the end. */
class Returns {
  readonly #labels = new Map<number, Label>();
  get(action: number): Label {
    let l = this.#labels.get(action);
    if (!l) this.#labels.set(action, (l = new Label(`ret-${action.toString(16)}`)));
    return l;
  }
  emit(p: Program): void {
    for (const [action, l] of this.#labels) {
      p.label(l);
      p.ret(action);
    }
  }
}

/**
 * Compile `profile` for one architecture and capability set into packed struct sock_filter[]
 * (8 bytes each). Conditional rules of a syscall are tried in profile order; the first whose
 * argument tests all pass gives the action; otherwise an unconditional rule's action, else the default.
 */
export function compileSeccomp(profile: SeccompProfile, opts: CompileOptions): Uint8Array {
  const a = ARCHES[opts.arch];
  if (!a) throw new SeccompError(`seccomp: unsupported architecture ${String(opts.arch)}`);
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const rets = new Returns();
  const kill = rets.get(SECCOMP_RET_KILL_PROCESS);
  const p = new Program();

  const sections = [{ audit: a.audit, table: a.table, x32: a.x32 }];
  if (opts.compat !== false) sections.push({ ...a.compat, x32: false });
  const starts = sections.map(() => new Label("arch-section"));
  p.ld(OFF_ARCH);
  sections.forEach((sec, i) => p.jmp(BPF_JMP_JEQ_K, sec.audit, starts[i]));
  p.ret(SECCOMP_RET_KILL_PROCESS);

  // each syscall → a plain action (a `ret`) or a block of argument tests
  const blocks: Array<{ label: Label; rules: Rule[]; fallback: number }> = [];
  sections.forEach((sec, i) => {
    p.label(starts[i]);
    p.ld(OFF_NR);
    if (sec.x32) {
      const native = new Label("native");
      p.jmp(BPF_JMP_JGE_K, X32_SYSCALL_BIT, undefined, native);
      // nr -1 is what a tracer leaves when it skips a syscall; it is not an x32 call
      p.jmp(BPF_JMP_JEQ_K, 0xffffffff, rets.get(defaultAction), kill);
      p.label(native);
    }
    const targets: Array<{ nr: number; to: Target }> = [];
    for (const [nr, rules] of [...collect(profile, opts, sec.table)].sort((x, y) => x[0] - y[0])) {
      const conditional = rules.filter((r) => r.args.length > 0);
      const fallback = rules.find((r) => r.args.length === 0)?.action ?? defaultAction;
      if (conditional.length === 0 || conditional.every((r) => r.action === fallback)) {
        if (fallback !== defaultAction) targets.push({ nr, to: { ret: fallback } });
        continue;
      }
      const label = new Label(`sys-${nr}`);
      blocks.push({ label, rules: conditional, fallback });
      targets.push({ nr, to: { block: label } });
    }
    emitTree(p, intervals(targets, defaultAction));
  });

  for (const b of blocks) {
    p.label(b.label);
    for (const rule of b.rules) {
      const next = new Label("next-rule");
      for (const arg of rule.args) emitArg(p, arg, next);
      p.ret(rule.action);
      p.label(next);
    }
    p.ret(b.fallback);
  }
  rets.emit(p);
  return p.assemble();
}

type Target = { ret: number } | { block: Label };
interface Interval {
  /** first syscall number of the interval; it runs up to the next interval's start */
  from: number;
  to: Target;
}

const sameTarget = (a: Target, b: Target) =>
  "ret" in a ? "ret" in b && a.ret === b.ret : "block" in b && a.block === b.block;

/**
 * The number line cut into intervals of equal outcome: runs of consecutive allowed syscalls collapse
 * into one interval, gaps go to the default. Docker's profile on x86_64 becomes ~100 intervals.
 */
function intervals(targets: Array<{ nr: number; to: Target }>, defaultAction: number): Interval[] {
  const dflt: Target = { ret: defaultAction };
  const out: Interval[] = [{ from: 0, to: dflt }];
  const push = (from: number, to: Target) => {
    const last = out[out.length - 1]!;
    if (sameTarget(last.to, to)) return;
    if (last.from === from) out.pop();
    const prev = out[out.length - 1];
    if (prev && sameTarget(prev.to, to)) return;
    out.push({ from, to });
  };
  for (const t of targets) {
    push(t.nr, t.to);
    push(t.nr + 1, dflt);
  }
  return out;
}

/** Binary search on the syscall number in A over the intervals: ~log2(100) compares per syscall. */
function emitTree(p: Program, iv: Interval[]): void {
  if (iv.length === 1) {
    const to = iv[0]!.to;
    if ("ret" in to) p.ret(to.ret);
    else p.ja(to.block);
    return;
  }
  const mid = iv.length >> 1;
  const right = new Label("tree-right");
  p.jmp(BPF_JMP_JGE_K, iv[mid]!.from, right);
  emitTree(p, iv.slice(0, mid));
  p.label(right);
  emitTree(p, iv.slice(mid));
}
