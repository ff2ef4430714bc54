/**
 * The few eBPF instructions a device filter needs, encoded as the kernel reads them: struct bpf_insn is
 * 8 bytes (u8 code, u8 dst_reg:4 | src_reg:4, s16 off, s32 imm). Byte order is the host's, little-endian
 * on every architecture bunker builds for (x86_64, aarch64).
 */

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// opcode = operation | source (K: imm, X: src register) | class (uapi/linux/bpf_common.h, bpf.h)
export const BPF_LDX_MEM_W = 0x61; // dst = *(u32 *)(src + off), zero-extended
export const BPF_ALU_AND_K = 0x54; // dst32 &= imm
export const BPF_ALU_RSH_K = 0x74; // dst32 >>= imm
export const BPF_ALU_MOV_K = 0xb4; // dst32 = imm
export const BPF_ALU_MOV_X = 0xbc; // dst32 = src32
export const BPF_JMP_JNE_K = 0x55; // if dst != imm: pc += off
export const BPF_JMP_JNE_X = 0x5d; // if dst != src: pc += off
export const BPF_JMP_EXIT = 0x95; // return r0

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

export const ldxw = (dst: number, src: number, off: number): Insn => ({ code: BPF_LDX_MEM_W, dst, src, off, imm: 0 });
export const and32 = (dst: number, imm: number): Insn => ({ code: BPF_ALU_AND_K, dst, src: 0, off: 0, imm });
export const rsh32 = (dst: number, imm: number): Insn => ({ code: BPF_ALU_RSH_K, dst, src: 0, off: 0, imm });
export const mov32 = (dst: number, imm: number): Insn => ({ code: BPF_ALU_MOV_K, dst, src: 0, off: 0, imm });
export const mov32Reg = (dst: number, src: number): Insn => ({ code: BPF_ALU_MOV_X, dst, src, off: 0, imm: 0 });
export const jne = (dst: number, imm: number, off: number): Insn => ({ code: BPF_JMP_JNE_K, dst, src: 0, off, imm });
export const jneReg = (dst: number, src: number, off: number): Insn => ({ code: BPF_JMP_JNE_X, dst, src, off, imm: 0 });
export const exit = (): Insn => ({ code: BPF_JMP_EXIT, dst: 0, src: 0, off: 0, imm: 0 });

/** Pack instructions into the byte array BPF_PROG_LOAD takes. */
export function encode(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const view = new DataView(out.buffer);
  insns.forEach((i, n) => {
    const at = n * 8;
    view.setUint8(at, i.code);
    view.setUint8(at + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    view.setInt16(at + 2, i.off, true);
    view.setInt32(at + 4, i.imm, true);
  });
  return out;
}
