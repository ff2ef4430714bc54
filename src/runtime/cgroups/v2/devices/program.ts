/**
 * Device rules → a BPF_PROG_TYPE_CGROUP_DEVICE program (runc's devicefilter, same shape). The kernel runs
 * it on every mknod and device open in the cgroup with struct bpf_cgroup_dev_ctx
 * { u32 access_type (type in the low 16 bits, access in the high 16), u32 major, u32 minor }; a return of
 * 1 allows, 0 denies. Rules are tried in order and the first match allows; nothing matched is denied.
 */
import { parseDeviceRule, type DeviceRule } from "../../device-rules.ts";
import { and32, BPF_JMP_JNE_K, BPF_JMP_JNE_X, encode, exit, jne, jneReg, ldxw, mov32, mov32Reg, R0, R1, R2, R3, R4, R5, rsh32, type Insn } from "./ebpf.ts";

// uapi/linux/bpf.h: enum bpf_cgroup_dev_type / bpf_cgroup_dev_access_type
const BPF_DEVCG_DEV_BLOCK = 1;
const BPF_DEVCG_DEV_CHAR = 2;
const BPF_DEVCG_ACC_MKNOD = 1;
const BPF_DEVCG_ACC_READ = 2;
const BPF_DEVCG_ACC_WRITE = 4;

const TYPE = { b: BPF_DEVCG_DEV_BLOCK, c: BPF_DEVCG_DEV_CHAR } as const;
const ACCESS = { r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE, m: BPF_DEVCG_ACC_MKNOD } as const;

/** r2 = device type, r3 = requested access, r4 = major, r5 = minor; r1 (the context) is free after this */
const PROLOGUE: readonly Insn[] = [
  ldxw(R2, R1, 0),
  and32(R2, 0xffff),
  ldxw(R3, R1, 0),
  rsh32(R3, 16),
  ldxw(R4, R1, 4),
  ldxw(R5, R1, 8),
];

/**
 * The tests of one rule, each jumping past the rule's block when it fails. The jumps' `off` is patched
 * once the block length is known.
 */
function checks(rule: DeviceRule): Insn[] {
  const out: Insn[] = [];
  if (rule.type !== "a") out.push(jne(R2, TYPE[rule.type], 0));
  if (rule.access !== "rwm") {
    // allowed only when every requested bit is in the rule: (requested & rule) == requested
    const mask = [...rule.access].reduce((m, c) => m | ACCESS[c as keyof typeof ACCESS], 0);
    out.push(mov32Reg(R1, R3), and32(R1, mask), jneReg(R1, R3, 0));
  }
  if (rule.major !== null) out.push(jne(R4, rule.major, 0));
  if (rule.minor !== null) out.push(jne(R5, rule.minor, 0));
  return out;
}

/** The program's instructions for `rules` (already parsed). */
function deviceFilterInsns(rules: readonly DeviceRule[]): Insn[] {
  const insns: Insn[] = [...PROLOGUE];
  for (const rule of rules) {
    const tests = checks(rule);
    const block = [...tests, mov32(R0, 1), exit()];
    // a jump's offset counts from the instruction after it to the first one after the block
    tests.forEach((t, i) => {
      if (t.code === BPF_JMP_JNE_K || t.code === BPF_JMP_JNE_X) t.off = block.length - (i + 1);
    });
    insns.push(...block);
    // a rule that matches everything ends the program: the verifier refuses unreachable instructions
    if (tests.length === 0) return insns;
  }
  insns.push(mov32(R0, 0), exit());
  return insns;
}

/** Rule strings ("c 1:3 rwm") → the packed program for BPF_PROG_LOAD; a bad rule is a CgroupError. */
export function deviceFilterProgram(rules: readonly string[]): Uint8Array {
  return encode(deviceFilterInsns(rules.map(parseDeviceRule)));
}
