/**
 * A tiny classic-BPF assembler: instructions jump to labels, and `assemble()` lays them out, turning any
 * conditional jump farther than 255 instructions (jt/jf are u8) into a hop through a trampoline placed
 * right after it (`ja` has a 32-bit offset; a jump to a `ret` just gets a copy of the ret).
 */

// opcodes (linux/filter.h, linux/bpf_common.h)
export const BPF_LD_W_ABS = 0x20; // A = *(u32 *)(seccomp_data + k)
export const BPF_JMP_JA = 0x05;
export const BPF_JMP_JEQ_K = 0x15;
export const BPF_JMP_JGT_K = 0x25;
export const BPF_JMP_JGE_K = 0x35;
export const BPF_JMP_JSET_K = 0x45;
export const BPF_ALU_AND_K = 0x54;
export const BPF_RET_K = 0x06;
/** the kernel's BPF_MAXINSNS */
export const BPF_MAXINSNS = 4096;

export class Label {
  constructor(readonly name = "") {}
}

interface Insn {
  code: number;
  k: number;
  jt?: Label;
  jf?: Label;
}
type Item = Insn | Label;

export class Program {
  readonly #items: Item[] = [];

  label(l: Label = new Label()): Label {
    this.#items.push(l);
    return l;
  }
  ld(offset: number): void {
    this.#items.push({ code: BPF_LD_W_ABS, k: offset });
  }
  and(k: number): void {
    this.#items.push({ code: BPF_ALU_AND_K, k: k >>> 0 });
  }
  ret(k: number): void {
    this.#items.push({ code: BPF_RET_K, k: k >>> 0 });
  }
  ja(target: Label): void {
    this.#items.push({ code: BPF_JMP_JA, k: 0, jt: target });
  }
  /** conditional jump; a missing target means "the next instruction" */
  jmp(code: number, k: number, jt?: Label, jf?: Label): void {
    const insn: Insn = { code, k: k >>> 0 };
    if (jt) insn.jt = jt;
    if (jf) insn.jf = jf;
    this.#items.push(insn);
  }

  /** Lay out, fix far jumps, and encode as packed struct sock_filter (little-endian). */
  assemble(): Uint8Array {
    const items = this.#explicitFallthrough();
    // Each pass finds every far conditional jump and inserts its trampolines right after it (from the
    // end, so indices stay valid); insertions can push other jumps out of range, hence the loop.
    for (;;) {
      const pos = positions(items);
      const fixes: Array<{ at: number; items: Item[] }> = [];
      items.forEach((it, i) => {
        if (it instanceof Label || it.code === BPF_JMP_JA || (!it.jt && !it.jf)) return;
        const here = pos.get(it)!;
        const inserts: Item[] = [];
        for (const side of ["jt", "jf"] as const) {
          const target = it[side]!;
          const off = pos.get(target)! - here - 1;
          if (off < 0) throw new Error(`bpf: backward jump to ${target.name || "label"}`);
          if (off <= 255) continue;
          const hop = new Label("trampoline");
          const dest = firstInsnAt(items, target);
          inserts.push(hop, dest && dest.code === BPF_RET_K ? { code: BPF_RET_K, k: dest.k } : { code: BPF_JMP_JA, k: 0, jt: target });
          it[side] = hop;
        }
        if (inserts.length) fixes.push({ at: i + 1, items: inserts });
      });
      if (fixes.length === 0) break;
      for (const f of fixes.reverse()) items.splice(f.at, 0, ...f.items);
    }
    const pos = positions(items);
    const insns = items.filter((x): x is Insn => !(x instanceof Label));
    if (insns.length > BPF_MAXINSNS) throw new Error(`bpf: program of ${insns.length} instructions exceeds ${BPF_MAXINSNS}`);
    const out = new Uint8Array(insns.length * 8);
    const dv = new DataView(out.buffer);
    insns.forEach((ins, n) => {
      let jt = 0;
      let jf = 0;
      let k = ins.k;
      if (ins.code === BPF_JMP_JA) k = pos.get(ins.jt!)! - n - 1;
      else if (ins.jt || ins.jf) {
        jt = pos.get(ins.jt!)! - n - 1;
        jf = pos.get(ins.jf!)! - n - 1;
      }
      dv.setUint16(n * 8, ins.code, true);
      dv.setUint8(n * 8 + 2, jt);
      dv.setUint8(n * 8 + 3, jf);
      dv.setUint32(n * 8 + 4, k >>> 0, true);
    });
    return out;
  }

  /** Replace "next instruction" targets with real labels, so trampolines can be inserted in between. */
  #explicitFallthrough(): Item[] {
    const items: Item[] = [];
    for (let i = 0; i < this.#items.length; i++) {
      const it = this.#items[i]!;
      if (it instanceof Label || it.code === BPF_JMP_JA || it.code === BPF_RET_K || it.code === BPF_LD_W_ABS || it.code === BPF_ALU_AND_K) {
        items.push(it);
        continue;
      }
      const next = new Label("next");
      items.push({ ...it, jt: it.jt ?? next, jf: it.jf ?? next }, next);
    }
    return items;
  }
}

/** instruction index of every label and instruction */
function positions(items: Item[]): Map<Item, number> {
  const pos = new Map<Item, number>();
  let n = 0;
  for (const it of items) {
    pos.set(it, n);
    if (!(it instanceof Label)) n++;
  }
  return pos;
}

function firstInsnAt(items: Item[], label: Label): Insn | undefined {
  for (let i = items.indexOf(label) + 1; i < items.length; i++) {
    const it = items[i]!;
    if (!(it instanceof Label)) return it;
  }
  return undefined;
}

/** One line per instruction, for debugging a program ("12: jeq #0x29 jt 13 jf 20"). */
export function disassemble(prog: Uint8Array): string[] {
  const dv = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const out: string[] = [];
  for (let n = 0; n < prog.byteLength / 8; n++) {
    const code = dv.getUint16(n * 8, true);
    const jt = n + 1 + dv.getUint8(n * 8 + 2);
    const jf = n + 1 + dv.getUint8(n * 8 + 3);
    const k = dv.getUint32(n * 8 + 4, true);
    const hex = `#0x${k.toString(16)}`;
    const op: Record<number, string> = {
      [BPF_LD_W_ABS]: `ld [${k}]`,
      [BPF_ALU_AND_K]: `and ${hex}`,
      [BPF_JMP_JA]: `ja ${n + 1 + k}`,
      [BPF_JMP_JEQ_K]: `jeq ${hex} jt ${jt} jf ${jf}`,
      [BPF_JMP_JGT_K]: `jgt ${hex} jt ${jt} jf ${jf}`,
      [BPF_JMP_JGE_K]: `jge ${hex} jt ${jt} jf ${jf}`,
      [BPF_JMP_JSET_K]: `jset ${hex} jt ${jt} jf ${jf}`,
      [BPF_RET_K]: `ret ${hex}`,
    };
    out.push(`${n}: ${op[code] ?? `op 0x${code.toString(16)} ${hex}`}`);
  }
  return out;
}
