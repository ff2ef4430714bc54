/**
 * The seccomp compiler, checked by running its BPF in a small interpreter over seccomp_data inputs
 * (nr, arch, args) — the same thing the kernel does, minus the kernel.
 */
import { describe, expect, test } from "bun:test";
import { Label, Program, BPF_JMP_JEQ_K, disassemble } from "../../src/runtime/seccomp/bpf.ts";
import {
  ARCHES, DEFAULT_PROFILE, SYSCALLS_AARCH64, SYSCALLS_X86_64, compileSeccomp, decodeSeccompProgram, defaultSeccompProgram,
  resolveSeccomp, type SeccompArch, type SeccompOp, type SeccompProfile,
} from "../../src/runtime/seccomp/index.ts";
import { SYSCALLS_ARM, SYSCALLS_I386 } from "../../src/runtime/seccomp/syscalls-compat.ts";
import { DEFAULT_CAPABILITIES } from "../../src/runtime/spec.ts";
import { SYSCALL_NUMBERS } from "../../src/sys/ffi.ts";

const ALLOW = 0x7fff0000;
const KILL_PROCESS = 0x80000000;
const errno = (e: number) => 0x00050000 | e;
const EPERM = errno(1);
const ENOSYS = errno(38);
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;

/** Run classic BPF the way seccomp does; throws on anything the kernel's checker would refuse. */
function run(prog: Uint8Array, data: { nr: number; arch: number; args?: Array<number | bigint> }): number {
  const dv = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const n = prog.byteLength / 8;
  const mem = new DataView(new ArrayBuffer(64));
  mem.setUint32(0, data.nr >>> 0, true);
  mem.setUint32(4, data.arch >>> 0, true);
  (data.args ?? []).forEach((a, i) => mem.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(a)), true));
  let A = 0;
  for (let pc = 0, steps = 0; steps < 4096; steps++) {
    if (pc >= n) throw new Error(`fell off the program at ${pc}`);
    const code = dv.getUint16(pc * 8, true);
    const jt = dv.getUint8(pc * 8 + 2);
    const jf = dv.getUint8(pc * 8 + 3);
    const k = dv.getUint32(pc * 8 + 4, true);
    pc++;
    switch (code) {
      case 0x20: // ld w abs
        if (k % 4 !== 0 || k > 60) throw new Error(`bad load offset ${k}`);
        A = mem.getUint32(k, true);
        break;
      case 0x54:
        A = (A & k) >>> 0;
        break;
      case 0x05:
        pc += k;
        break;
      case 0x15:
        pc += A === k ? jt : jf;
        break;
      case 0x25:
        pc += A > k ? jt : jf;
        break;
      case 0x35:
        pc += A >= k ? jt : jf;
        break;
      case 0x45:
        pc += (A & k) !== 0 ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`unknown opcode 0x${code.toString(16)}`);
    }
  }
  throw new Error("no return within 4096 steps");
}

function program(arch: SeccompArch, caps: readonly string[] = DEFAULT_CAPABILITIES): (name: string, ...args: Array<number | bigint>) => number {
  const prog = compileSeccomp(DEFAULT_PROFILE, { arch, capabilities: caps, kernel: "6.1.0" });
  const a = ARCHES[arch];
  return (name, ...args) => {
    const nr = a.table[name];
    if (nr === undefined) throw new Error(`no syscall ${name} on ${arch}`);
    return run(prog, { nr, arch: a.audit, args });
  };
}

const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEWNS = 0x00020000;
const SIGCHLD = 17;
const THREAD_FLAGS = 0x3d0f00; // what glibc's pthread_create passes

describe("Docker's default profile on x86_64, default capabilities", () => {
  const sys = program("x86_64");
  test("the program fits the kernel's limits", () => {
    const p = compileSeccomp(DEFAULT_PROFILE, { arch: "x86_64", capabilities: DEFAULT_CAPABILITIES });
    expect(p.byteLength % 8).toBe(0);
    expect(p.byteLength / 8).toBeLessThan(4096);
    expect(p.byteLength / 8).toBeLessThan(600); // intervals + binary search keep it small (two ABIs)
  });
  test("ordinary syscalls are allowed", () => {
    for (const name of ["read", "write", "openat", "close", "mmap", "execve", "exit_group", "futex", "epoll_wait", "getpid", "rt_sigaction", "arch_prctl", "statx", "pipe2"]) {
      expect([name, sys(name)]).toEqual([name, ALLOW]);
    }
    expect(sys("chroot")).toBe(ALLOW); // CAP_SYS_CHROOT is a default capability
    expect(sys("ptrace")).toBe(ALLOW); // kernel >= 4.8
  });
  test("clone without namespace flags is allowed, with them EPERM", () => {
    expect(sys("clone", SIGCHLD)).toBe(ALLOW);
    expect(sys("clone", THREAD_FLAGS)).toBe(ALLOW);
    expect(sys("clone", CLONE_NEWUSER | SIGCHLD)).toBe(EPERM);
    expect(sys("clone", CLONE_NEWNET)).toBe(EPERM);
    expect(sys("clone", CLONE_NEWNS)).toBe(EPERM);
    expect(sys("clone", BigInt(SIGCHLD) | (1n << 40n))).toBe(ALLOW); // the mask's high word is 0
  });
  test("clone3 answers ENOSYS so libc falls back to clone", () => {
    expect(sys("clone3")).toBe(ENOSYS);
  });
  test("privileged syscalls are EPERM", () => {
    for (const name of ["mount", "umount2", "unshare", "setns", "kexec_load", "init_module", "reboot", "keyctl", "add_key", "request_key", "bpf", "open_by_handle_at", "sethostname", "settimeofday", "swapon", "pivot_root", "perf_event_open", "acct", "iopl", "userfaultfd"]) {
      expect([name, sys(name)]).toEqual([name, EPERM]);
    }
  });
  test("socket: all families but AF_ALG (38) and AF_VSOCK (40)", () => {
    expect(sys("socket", 1)).toBe(ALLOW); // AF_UNIX
    expect(sys("socket", 2)).toBe(ALLOW); // AF_INET
    expect(sys("socket", 16)).toBe(ALLOW); // AF_NETLINK
    expect(sys("socket", 37)).toBe(ALLOW);
    expect(sys("socket", 38)).toBe(EPERM);
    expect(sys("socket", 39)).toBe(ALLOW);
    expect(sys("socket", 40)).toBe(EPERM);
    expect(sys("socket", 41)).toBe(ALLOW);
  });
  test("personality: only the harmless values", () => {
    for (const v of [0, 8, 0x20000, 0x20008, 0xffffffff]) expect(sys("personality", v)).toBe(ALLOW);
    expect(sys("personality", 0x0040000)).toBe(EPERM); // ADDR_NO_RANDOMIZE
    expect(sys("personality", 1)).toBe(EPERM);
  });
  test("i386 calls are filtered with i386 numbers, as Docker does (32-bit images)", () => {
    const prog = compileSeccomp(DEFAULT_PROFILE, { arch: "x86_64", capabilities: DEFAULT_CAPABILITIES });
    const i386 = (name: string, ...args: number[]) => run(prog, { nr: SYSCALLS_I386[name]!, arch: AUDIT_ARCH_I386, args });
    expect(i386("read")).toBe(ALLOW); // 3 on i386 (close on x86_64)
    expect(i386("socketcall")).toBe(ALLOW);
    expect(i386("mmap2")).toBe(ALLOW);
    expect(i386("modify_ldt")).toBe(ALLOW);
    expect(i386("mount")).toBe(EPERM);
    expect(i386("clone", CLONE_NEWUSER)).toBe(EPERM);
    expect(i386("clone", SIGCHLD)).toBe(ALLOW);
    expect(i386("personality", 0xffffffff)).toBe(ALLOW);
    expect(run(prog, { nr: 0x40000000, arch: AUDIT_ARCH_I386 })).toBe(EPERM);
    const strict = compileSeccomp(DEFAULT_PROFILE, { arch: "x86_64", capabilities: DEFAULT_CAPABILITIES, compat: false });
    expect(run(strict, { nr: 3, arch: AUDIT_ARCH_I386 })).toBe(KILL_PROCESS);
    expect(run(strict, { nr: 0, arch: ARCHES.x86_64.audit })).toBe(ALLOW);
  });
  test("other architectures and the x32 ABI are killed", () => {
    const prog = compileSeccomp(DEFAULT_PROFILE, { arch: "x86_64", capabilities: DEFAULT_CAPABILITIES });
    expect(run(prog, { nr: 63, arch: ARCHES.aarch64.audit })).toBe(KILL_PROCESS);
    expect(run(prog, { nr: 0x40000000 | 1, arch: ARCHES.x86_64.audit })).toBe(KILL_PROCESS); // x32 write
    expect(run(prog, { nr: 0x40000000 + 512, arch: ARCHES.x86_64.audit })).toBe(KILL_PROCESS);
    expect(run(prog, { nr: -1, arch: ARCHES.x86_64.audit })).toBe(EPERM); // skipped by a tracer
    expect(run(prog, { nr: 9999, arch: ARCHES.x86_64.audit })).toBe(EPERM); // unknown number
  });
  test("every syscall number gives a defined answer (exhaustive walk)", () => {
    const prog = compileSeccomp(DEFAULT_PROFILE, { arch: "x86_64", capabilities: DEFAULT_CAPABILITIES });
    const allowed = new Set<number>();
    for (let nr = 0; nr < 600; nr++) {
      const r = run(prog, { nr, arch: ARCHES.x86_64.audit, args: [0] });
      expect([ALLOW, EPERM, ENOSYS]).toContain(r);
      if (r === ALLOW) allowed.add(nr);
    }
    expect(allowed.size).toBeGreaterThan(300);
  });
});

describe("capability-gated rules", () => {
  test("CAP_SYS_ADMIN opens mount, unshare, setns, clone with namespaces, clone3", () => {
    const sys = program("x86_64", [...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"]);
    for (const name of ["mount", "umount2", "unshare", "setns", "sethostname", "fsopen", "clone3"]) expect([name, sys(name)]).toEqual([name, ALLOW]);
    expect(sys("clone", CLONE_NEWUSER | SIGCHLD)).toBe(ALLOW);
    expect(sys("kexec_load")).toBe(EPERM); // no capability opens it
  });
  test("each gate follows its capability", () => {
    const gates: Array<[string, string]> = [
      ["CAP_SYS_BOOT", "reboot"], ["CAP_SYS_MODULE", "init_module"], ["CAP_SYS_PACCT", "acct"], ["CAP_SYS_PTRACE", "kcmp"],
      ["CAP_SYS_RAWIO", "iopl"], ["CAP_SYS_TIME", "settimeofday"], ["CAP_SYS_TTY_CONFIG", "vhangup"],
      ["CAP_SYS_NICE", "mbind"], ["CAP_SYSLOG", "syslog"], ["CAP_BPF", "bpf"], ["CAP_PERFMON", "perf_event_open"],
      ["CAP_DAC_READ_SEARCH", "open_by_handle_at"],
    ];
    const base = program("x86_64");
    for (const [cap, name] of gates) {
      expect([name, base(name)]).toEqual([name, EPERM]);
      expect([cap, program("x86_64", [...DEFAULT_CAPABILITIES, cap])(name)]).toEqual([cap, ALLOW]);
    }
  });
  test("dropping CAP_SYS_CHROOT closes chroot", () => {
    expect(program("x86_64", DEFAULT_CAPABILITIES.filter((c) => c !== "CAP_SYS_CHROOT"))("chroot")).toBe(EPERM);
  });
  test("old kernels lose the minKernel 4.8 rule (ptrace)", () => {
    const prog = compileSeccomp(DEFAULT_PROFILE, { arch: "x86_64", capabilities: DEFAULT_CAPABILITIES, kernel: "4.4.0" });
    expect(run(prog, { nr: SYSCALLS_X86_64.ptrace!, arch: ARCHES.x86_64.audit })).toBe(EPERM);
  });
});

describe("aarch64", () => {
  const sys = program("aarch64");
  test("numbers and rules for arm64", () => {
    expect(SYSCALLS_AARCH64.read).toBe(63);
    expect(SYSCALLS_AARCH64.write).toBe(64);
    expect(SYSCALLS_AARCH64.open).toBeUndefined();
    expect(sys("read")).toBe(ALLOW);
    expect(sys("openat")).toBe(ALLOW);
    expect(sys("mount")).toBe(EPERM);
    expect(sys("clone", SIGCHLD)).toBe(ALLOW);
    expect(sys("clone", CLONE_NEWUSER)).toBe(EPERM);
    expect(sys("socket", 40)).toBe(EPERM);
  });
  test("32-bit arm is filtered with arm numbers (private calls included); x86_64 is killed; no x32 step", () => {
    const prog = compileSeccomp(DEFAULT_PROFILE, { arch: "aarch64", capabilities: DEFAULT_CAPABILITIES });
    const arm = (name: string, ...args: number[]) => run(prog, { nr: SYSCALLS_ARM[name]!, arch: AUDIT_ARCH_ARM, args });
    expect(arm("read")).toBe(ALLOW);
    expect(arm("set_tls")).toBe(ALLOW);
    expect(arm("cacheflush")).toBe(ALLOW);
    expect(arm("arm_fadvise64_64")).toBe(ALLOW);
    expect(arm("mount")).toBe(EPERM);
    expect(arm("socket", 40)).toBe(EPERM);
    expect(run(prog, { nr: 0, arch: ARCHES.x86_64.audit })).toBe(KILL_PROCESS);
    expect(run(prog, { nr: 3, arch: AUDIT_ARCH_I386 })).toBe(KILL_PROCESS);
    expect(run(prog, { nr: 0x40000000, arch: ARCHES.aarch64.audit })).toBe(EPERM);
  });
});

describe("syscall tables", () => {
  test("known numbers", () => {
    expect(SYSCALLS_X86_64.read).toBe(0);
    expect(SYSCALLS_X86_64.mount).toBe(165);
    expect(SYSCALLS_X86_64.pivot_root).toBe(155);
    expect(SYSCALLS_X86_64.clone3).toBe(435);
    expect(SYSCALLS_X86_64.seccomp).toBe(317);
    expect(SYSCALLS_AARCH64.mount).toBe(40);
    expect(SYSCALLS_AARCH64.clone).toBe(220);
    expect(Object.keys(SYSCALLS_X86_64).length).toBeGreaterThan(370);
    expect(Object.keys(SYSCALLS_AARCH64).length).toBeGreaterThan(320);
  });
  test("agree with the syscall layer's own numbers", () => {
    for (const [name, nr] of Object.entries(SYSCALL_NUMBERS.x64)) expect([name, SYSCALLS_X86_64[name]]).toEqual([name, nr]);
    for (const [name, nr] of Object.entries(SYSCALL_NUMBERS.arm64)) expect([name, SYSCALLS_AARCH64[name]]).toEqual([name, nr]);
  });
});

/** 64-bit reference semantics of each operator, to check the two-word BPF comparisons. */
function ref(op: SeccompOp, a: bigint, v: bigint, v2: bigint): boolean {
  switch (op) {
    case "SCMP_CMP_EQ": return a === v;
    case "SCMP_CMP_NE": return a !== v;
    case "SCMP_CMP_LT": return a < v;
    case "SCMP_CMP_LE": return a <= v;
    case "SCMP_CMP_GT": return a > v;
    case "SCMP_CMP_GE": return a >= v;
    case "SCMP_CMP_MASKED_EQ": return (a & v) === (v2 & v);
  }
}

describe("argument comparisons (64-bit, two words)", () => {
  const ops: SeccompOp[] = ["SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"];
  const interesting = [0n, 1n, 2n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn, 0xffffffff00000000n, 0xffffffffffffffffn, 0x7fffffffn, 0x80000000n];
  for (const op of ops) {
    test(op, () => {
      for (const v of [1n, 0xffffffffn, 0x100000000n, 0x1ffffffffn, 0x80000000n]) {
        const v2 = op === "SCMP_CMP_MASKED_EQ" ? 1n : undefined;
        const profile: SeccompProfile = {
          defaultAction: "SCMP_ACT_ERRNO",
          syscalls: [{ names: ["write"], action: "SCMP_ACT_ALLOW", args: [{ index: 2, value: v, ...(v2 !== undefined ? { valueTwo: v2 } : {}), op }] }],
        };
        const prog = compileSeccomp(profile, { arch: "x86_64", capabilities: [] });
        for (const a of interesting) {
          const got = run(prog, { nr: 1, arch: ARCHES.x86_64.audit, args: [0, 0, a] }) === ALLOW;
          expect([op, v, a, got]).toEqual([op, v, a, ref(op, a, v, v2 ?? 0n)]);
        }
      }
    });
  }
  test("several args are ANDed, several rules ORed in order, default otherwise", () => {
    const profile: SeccompProfile = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 13, args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 9, op: "SCMP_CMP_EQ" }] },
        { names: ["kill"], action: "SCMP_ACT_KILL_PROCESS", args: [{ index: 0, value: 0, op: "SCMP_CMP_EQ" }] },
        { name: "getpid", action: "SCMP_ACT_TRAP" },
      ],
    };
    const prog = compileSeccomp(profile, { arch: "x86_64", capabilities: [] });
    const kill = (pid: number, sig: number) => run(prog, { nr: SYSCALLS_X86_64.kill!, arch: ARCHES.x86_64.audit, args: [pid, sig] });
    expect(kill(1, 9)).toBe(errno(13));
    expect(kill(1, 15)).toBe(ALLOW);
    expect(kill(0, 15)).toBe(KILL_PROCESS);
    expect(kill(5, 9)).toBe(ALLOW);
    expect(run(prog, { nr: SYSCALLS_X86_64.getpid!, arch: ARCHES.x86_64.audit })).toBe(0x00030000);
  });
  test("both name and names is Docker's error", () => {
    expect(() => compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ name: "read", names: ["write"], action: "SCMP_ACT_ALLOW" }] }, { arch: "x86_64", capabilities: [] })).toThrow(
      "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'",
    );
  });
});

describe("assembler", () => {
  test("far conditional jumps go through trampolines", () => {
    const p = new Program();
    const far = new Label();
    const far2 = new Label();
    p.ld(0);
    p.jmp(BPF_JMP_JEQ_K, 7, far, far2);
    for (let i = 0; i < 700; i++) p.jmp(BPF_JMP_JEQ_K, 100000 + i, undefined, undefined); // filler that falls through
    p.ret(1);
    p.label(far);
    p.ret(ALLOW);
    for (let i = 0; i < 300; i++) p.jmp(BPF_JMP_JEQ_K, 200000 + i);
    p.label(far2);
    p.ret(EPERM);
    const prog = p.assemble();
    expect(run(prog, { nr: 7, arch: 0 })).toBe(ALLOW);
    expect(run(prog, { nr: 8, arch: 0 })).toBe(EPERM);
  });
  test("disassembly names every instruction", () => {
    const lines = disassemble(compileSeccomp(DEFAULT_PROFILE, { arch: "x86_64", capabilities: [] }));
    expect(lines[0]).toBe("0: ld [4]");
    expect(lines[1]).toBe("1: jeq #0xc000003e jt 4 jf 2");
    expect(lines.some((l) => l.includes(" op 0x"))).toBe(false);
  });
  test("more than 4096 instructions is refused", () => {
    const p = new Program();
    for (let i = 0; i < 4100; i++) p.ret(0);
    expect(() => p.assemble()).toThrow("exceeds 4096");
  });
});

describe("what the spec holds", () => {
  test("base64 of the default program, cached per capability set", () => {
    const b64 = defaultSeccompProgram(DEFAULT_CAPABILITIES, "x86_64");
    expect(defaultSeccompProgram([...DEFAULT_CAPABILITIES].reverse(), "x86_64")).toBe(b64);
    const prog = decodeSeccompProgram(b64);
    expect(run(prog, { nr: SYSCALLS_X86_64.mount!, arch: ARCHES.x86_64.audit })).toBe(EPERM);
  });
  test("unconfined and --privileged give null; a JSON file is compiled", async () => {
    expect(resolveSeccomp({ profile: "unconfined", capabilities: DEFAULT_CAPABILITIES })).toBeNull();
    expect(resolveSeccomp({ privileged: true, capabilities: DEFAULT_CAPABILITIES })).toBeNull();
    expect(resolveSeccomp({ capabilities: DEFAULT_CAPABILITIES, arch: "x86_64" })).toBe(defaultSeccompProgram(DEFAULT_CAPABILITIES, "x86_64"));
    const path = `/tmp/bunker-seccomp-${process.pid}.json`;
    await Bun.write(path, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }] }));
    try {
      const prog = decodeSeccompProgram(resolveSeccomp({ profile: path, capabilities: [], arch: "x86_64" })!);
      expect(run(prog, { nr: SYSCALLS_X86_64.mkdirat!, arch: ARCHES.x86_64.audit })).toBe(EPERM);
      expect(run(prog, { nr: SYSCALLS_X86_64.mount!, arch: ARCHES.x86_64.audit })).toBe(ALLOW);
    } finally {
      await Bun.file(path).delete();
    }
    expect(() => resolveSeccomp({ profile: "/nonexistent.json", capabilities: [] })).toThrow("opening seccomp profile (/nonexistent.json) failed");
  });
});
