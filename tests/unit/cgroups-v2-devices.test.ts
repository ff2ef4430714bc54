/**
 * The cgroup v2 device filter, checked by running its bytes in a small eBPF interpreter over
 * bpf_cgroup_dev_ctx inputs — what the kernel does on mknod/open, minus the kernel. The interpreter also
 * plays verifier for what would make the kernel refuse the program: unknown opcodes, jumps out of range,
 * unreachable instructions, loads from anything but the context, r0 unset at exit.
 */
import { describe, expect, test } from "bun:test";
import { CgroupError, DEFAULT_DEVICE_RULES, PRIVILEGED_DEVICE_RULES, parseDeviceRule } from "../../src/runtime/cgroups/index.ts";
import { deviceFilterProgram } from "../../src/runtime/cgroups/v2/devices/program.ts";

type Kind = "b" | "c";
interface Access {
  type: Kind;
  major: number;
  minor: number;
  /** what the kernel asks for: "m" (mknod), "r", "w", "rw" (open O_RDWR) */
  access: string;
}

const TYPE = { b: 1n, c: 2n };
const ACC = { m: 1n, r: 2n, w: 4n };
const CTX = Symbol("ctx");
type Reg = bigint | typeof CTX | undefined;
const u32 = (v: bigint) => BigInt.asUintN(32, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** Runs `prog` for one access; returns r0 (1 allow, 0 deny). */
function run(prog: Uint8Array, a: Access): bigint {
  expect(prog.byteLength % 8).toBe(0);
  const view = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const n = prog.byteLength / 8;
  const accessBits = [...a.access].reduce((m, c) => m | ACC[c as keyof typeof ACC], 0n);
  const ctx = [u32(TYPE[a.type] | (accessBits << 16n)), BigInt(a.major), BigInt(a.minor)];
  const r: Reg[] = new Array(11).fill(undefined);
  r[1] = CTX;
  const num = (i: number): bigint => {
    const v = r[i];
    if (typeof v !== "bigint") throw new Error(`r${i} is not a number (${String(v)})`);
    return v;
  };
  for (let pc = 0, steps = 0; ; pc++, steps++) {
    if (pc < 0 || pc >= n) throw new Error(`pc ${pc} outside the program`);
    if (steps > 10_000) throw new Error("no exit");
    const at = pc * 8;
    const code = view.getUint8(at);
    const dst = view.getUint8(at + 1) & 0xf;
    const src = view.getUint8(at + 1) >> 4;
    const off = view.getInt16(at + 2, true);
    const imm = view.getInt32(at + 4, true);
    const immU32 = u32(BigInt(imm));
    // the verifier refuses set reserved fields ("BPF_MOV uses reserved fields")
    const jump = code === 0x55 || code === 0x5d;
    if (!jump && code !== 0x61 && off !== 0) throw new Error(`off ${off} set on opcode 0x${code.toString(16)} at ${pc}`);
    if ((code & 0x08) === 0 && code !== 0x61 && src !== 0) throw new Error(`src set on a K opcode at ${pc}`);
    if ((code & 0x08) !== 0 && imm !== 0) throw new Error(`imm set on an X opcode at ${pc}`);
    switch (code) {
      case 0x61: {
        if (r[src] !== CTX) throw new Error(`load through r${src}, not the context`);
        if (off % 4 !== 0 || off < 0 || off > 8) throw new Error(`context offset ${off}`);
        r[dst] = ctx[off / 4]!;
        break;
      }
      case 0x54: r[dst] = u32(num(dst)) & immU32; break;
      case 0x74: r[dst] = u32(num(dst)) >> immU32; break;
      case 0xb4: r[dst] = immU32; break;
      case 0xbc: r[dst] = u32(num(src)); break;
      case 0x55: if (num(dst) !== u64(BigInt(imm))) pc += off; break;
      case 0x5d: if (num(dst) !== num(src)) pc += off; break;
      case 0x95: return num(0);
      default: throw new Error(`opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
}

/** Every instruction is reachable and every path ends in exit (the verifier refuses either failing). */
function checkShape(prog: Uint8Array): void {
  const view = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const n = prog.byteLength / 8;
  const seen = new Set<number>();
  const todo = [0];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (seen.has(pc)) continue;
    expect(pc).toBeLessThan(n);
    seen.add(pc);
    const code = view.getUint8(pc * 8);
    if (code === 0x95) continue;
    todo.push(pc + 1);
    if (code === 0x55 || code === 0x5d) todo.push(pc + 1 + view.getInt16(pc * 8 + 2, true));
  }
  expect(seen.size).toBe(n);
}

/** The devices cgroup's meaning of an allow list, written out plainly to check the compiled one against. */
function reference(rules: readonly string[], a: Access): boolean {
  return rules.map(parseDeviceRule).some((rule) =>
    (rule.type === "a" || rule.type === a.type) &&
    (rule.major === null || rule.major === a.major) &&
    (rule.minor === null || rule.minor === a.minor) &&
    [...a.access].every((c) => rule.access.includes(c)));
}

const dev = (s: string): Access => {
  const [type, mm, access] = s.split(" ");
  const [major, minor] = mm!.split(":").map(Number);
  return { type: type as Kind, major: major!, minor: minor!, access: access! };
};

function allows(rules: readonly string[], s: string): boolean {
  const prog = deviceFilterProgram(rules);
  checkShape(prog);
  return run(prog, dev(s)) === 1n;
}

describe("device filter program", () => {
  test("the default list allows its devices and mknod of any node", () => {
    for (const s of [
      "c 1:3 rw", "c 1:3 r", "c 1:3 w", "c 1:5 rw", "c 1:7 w", "c 1:8 r", "c 1:9 r", "c 5:0 rw", "c 5:1 rw",
      "c 5:2 rw", "c 136:0 rw", "c 136:4095 rw", "c 10:200 rw", "c 1:3 m", "c 1:11 m", "b 8:0 m", "b 259:1 m",
    ]) {
      expect([s, allows(DEFAULT_DEVICE_RULES, s)]).toEqual([s, true]);
    }
  });

  test("the default list denies the host's disks, memory, kmsg and other ttys", () => {
    for (const s of [
      "c 1:11 rw", "c 1:11 r", "c 1:1 r", "c 1:4 r", "b 8:0 r", "b 8:0 w", "b 8:0 rw", "b 259:0 r", "c 4:0 w",
      "c 4:1 rw", "c 10:201 r", "c 137:0 r", "c 5:3 r",
    ]) {
      expect([s, allows(DEFAULT_DEVICE_RULES, s)]).toEqual([s, false]);
    }
  });

  test('"b *:* m" allows mknod of block devices but not reading them, and nothing for char devices', () => {
    expect(allows(["b *:* m"], "b 8:0 m")).toBe(true);
    expect(allows(["b *:* m"], "b 8:0 r")).toBe(false);
    expect(allows(["b *:* m"], "b 8:0 w")).toBe(false);
    expect(allows(["b *:* m"], "c 1:3 m")).toBe(false);
  });

  test("access letters are a subset check: r alone does not allow O_RDWR", () => {
    expect(allows(["c 1:3 r"], "c 1:3 r")).toBe(true);
    expect(allows(["c 1:3 r"], "c 1:3 w")).toBe(false);
    expect(allows(["c 1:3 r"], "c 1:3 rw")).toBe(false);
    expect(allows(["c 1:3 rw"], "c 1:3 rw")).toBe(true);
    expect(allows(["c 1:3 rw"], "c 1:3 m")).toBe(false);
  });

  test("wildcards: major, minor, and type a", () => {
    expect(allows(["c *:3 r"], "c 77:3 r")).toBe(true);
    expect(allows(["c *:3 r"], "c 77:4 r")).toBe(false);
    expect(allows(["a 7:* rw"], "b 7:9 rw")).toBe(true);
    expect(allows(["a 7:* rw"], "c 7:1 r")).toBe(true);
    expect(allows(["a 7:* rw"], "c 8:1 r")).toBe(false);
  });

  test("allow-all (--privileged and a bare a) is one unconditional rule; later rules are not emitted", () => {
    const all = deviceFilterProgram(PRIVILEGED_DEVICE_RULES);
    expect(deviceFilterProgram(["a"])).toEqual(all);
    expect(deviceFilterProgram([...PRIVILEGED_DEVICE_RULES, "c 1:3 r"])).toEqual(all);
    expect(all.byteLength / 8).toBe(6 + 2); // prologue, r0 = 1, exit
    for (const s of ["b 8:0 rw", "c 1:11 rw", "c 4095:1048575 m"]) expect(allows(PRIVILEGED_DEVICE_RULES, s)).toBe(true);
  });

  test("an empty list denies everything", () => {
    for (const s of ["c 1:3 r", "b 8:0 m"]) expect(allows([], s)).toBe(false);
  });

  test("matches the devices cgroup's meaning over many accesses and rule lists", () => {
    const lists: string[][] = [
      [...DEFAULT_DEVICE_RULES],
      ["c 1:3 r", "c 1:3 w", "b 8:* m", "a *:5 rw"],
      ["c *:* rw", "b 7:0 rwm"],
      ["b 8:0 mr", "c 4095:1048575 w"],
    ];
    const majors = [0, 1, 4, 5, 7, 8, 10, 136, 4095];
    const minors = [0, 1, 3, 5, 11, 200, 1048575];
    for (const rules of lists) {
      const prog = deviceFilterProgram(rules);
      checkShape(prog);
      for (const type of ["b", "c"] as const) for (const major of majors) for (const minor of minors) {
        for (const access of ["m", "r", "w", "rw"]) {
          const a = { type, major, minor, access };
          expect([rules, a, run(prog, a) === 1n]).toEqual([rules, a, reference(rules, a)]);
        }
      }
    }
  });

  test("bad rules are refused with the rule named", () => {
    for (const bad of ["x 1:3 rwm", "c 1:3", "c 1:3 rwx", "c 1 rwm", "c 4096:0 r", "c 1:1048576 r", "c 1:3 rr", "c -1:3 r"]) {
      expect(() => deviceFilterProgram([bad])).toThrow(CgroupError);
      expect(() => deviceFilterProgram([bad])).toThrow(JSON.stringify(bad));
    }
    expect(parseDeviceRule("c 136:* wr")).toEqual({ type: "c", major: 136, minor: null, access: "rw" });
  });
});
