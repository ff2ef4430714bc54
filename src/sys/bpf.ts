/**
 * bpf(2) for cgroup device filters: the union bpf_attr layouts of the five commands LinuxSys needs.
 * Offsets are from uapi/linux/bpf.h and the same on every 64-bit architecture.
 */
import { Errno, SysError } from "./errors.ts";
import { addr, cstr, errno, keepAlive, libc, syscallNumber } from "./ffi.ts";

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
const NAMES: Record<number, string> = {
  [BPF_PROG_LOAD]: "BPF_PROG_LOAD", [BPF_PROG_ATTACH]: "BPF_PROG_ATTACH", [BPF_PROG_DETACH]: "BPF_PROG_DETACH",
  [BPF_PROG_GET_FD_BY_ID]: "BPF_PROG_GET_FD_BY_ID", [BPF_PROG_QUERY]: "BPF_PROG_QUERY",
};

/**
 * Bigger than any command's part of union bpf_attr on any kernel we meet; the kernel copies what it
 * knows and requires the rest to be zero, which a fresh buffer is.
 */
const ATTR_SIZE = 128;
const LOG_SIZE = 64 * 1024;
/** the verifier answers EAGAIN when a signal arrived while it ran; Bun's threads do send signals */
const RETRIES = 10;

function attr(): DataView {
  return new DataView(new ArrayBuffer(ATTR_SIZE));
}

function bpf(cmd: number, a: DataView, detail?: string): number {
  for (let left = RETRIES; ; left--) {
    const r = Number(libc().syscall(syscallNumber("bpf"), cmd, addr(a), ATTR_SIZE, 0, 0, 0));
    keepAlive(a);
    if (r >= 0) return r;
    const e = errno();
    if ((e === Errno.EINTR || e === Errno.EAGAIN) && left > 0) continue;
    throw new SysError(`bpf(${NAMES[cmd]})`, e, undefined, detail);
  }
}

export function progLoad(progType: number, insns: Uint8Array, license: string, name: string): number {
  const lic = cstr(license);
  const a = attr();
  a.setUint32(0, progType, true);
  a.setUint32(4, insns.byteLength / 8, true);
  a.setBigUint64(8, BigInt(addr(insns)), true);
  a.setBigUint64(16, BigInt(addr(lic)), true);
  // prog_name[16] at 48: what bpftool lists; the kernel takes [A-Za-z0-9_.] only
  new Uint8Array(a.buffer, 48, 15).set(Buffer.from(name.replace(/[^\w.]/g, "_").slice(0, 15), "ascii"));
  try {
    return bpf(BPF_PROG_LOAD, a);
  } catch (e) {
    if (!(e instanceof SysError) || (e.errno !== Errno.EINVAL && e.errno !== Errno.EACCES)) throw e;
    // a refused program: load it again with the verifier's log, only so the error can say why
    const log = new Uint8Array(LOG_SIZE);
    a.setUint32(24, 1, true);
    a.setUint32(28, LOG_SIZE, true);
    a.setBigUint64(32, BigInt(addr(log)), true);
    try {
      return bpf(BPF_PROG_LOAD, a);
    } catch (again) {
      if (!(again instanceof SysError)) throw again;
      const text = Buffer.from(log.subarray(0, Math.max(log.indexOf(0), 0))).toString("utf8").trim();
      throw new SysError(again.syscall, again.errno, undefined, text ? `verifier: ${text.slice(-2000)}` : undefined);
    } finally {
      keepAlive(log);
    }
  } finally {
    keepAlive(insns, lic);
  }
}

function attachAttr(targetFd: number, progFd: number, attachType: number, flags: number): DataView {
  const a = attr();
  a.setUint32(0, targetFd, true);
  a.setUint32(4, progFd, true);
  a.setUint32(8, attachType, true);
  a.setUint32(12, flags, true);
  return a;
}

export function progAttach(targetFd: number, progFd: number, attachType: number, flags: number): void {
  bpf(BPF_PROG_ATTACH, attachAttr(targetFd, progFd, attachType, flags), `prog fd ${progFd} to fd ${targetFd}`);
}

export function progDetach(targetFd: number, progFd: number, attachType: number): void {
  bpf(BPF_PROG_DETACH, attachAttr(targetFd, progFd, attachType, 0), `prog fd ${progFd} from fd ${targetFd}`);
}

export function progQuery(targetFd: number, attachType: number): number[] {
  for (let room = 16; ; ) {
    const ids = new Uint32Array(room);
    const a = attr();
    a.setUint32(0, targetFd, true);
    a.setUint32(4, attachType, true);
    a.setBigUint64(16, BigInt(addr(ids)), true);
    a.setUint32(24, room, true);
    try {
      bpf(BPF_PROG_QUERY, a, `fd ${targetFd}`);
    } catch (e) {
      // ENOSPC: more programs than room; prog_cnt now says how many
      if (e instanceof SysError && e.errno === Errno.ENOSPC) {
        room = a.getUint32(24, true);
        continue;
      }
      throw e;
    } finally {
      keepAlive(ids);
    }
    return [...ids.subarray(0, a.getUint32(24, true))];
  }
}

export function progGetFdById(id: number): number {
  const a = attr();
  a.setUint32(0, id, true);
  return bpf(BPF_PROG_GET_FD_BY_ID, a, `id ${id}`);
}
