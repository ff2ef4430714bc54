/**
 * `Sys` on the real kernel, through libc (ffi.ts). Each method is a thin, synchronous wrapper: it converts
 * arguments to C layouts, makes one call (plus a size probe for xattrs/readlink), and turns -1 into a
 * SysError naming the call and the path. Synchronous on purpose: after unshare/setns only the calling
 * thread is in the new namespaces, so nothing here may hop to Bun's thread pool.
 */
import { addr, cstr, cstrArray, errno, keepAlive, libc, syscallNumber } from "./ffi.ts";
import * as bpf from "./bpf.ts";
import { Errno, SysError } from "./errors.ts";
import { LINUX_CAPABILITY_VERSION_3 } from "./constants.ts";
import type { CapSets, Rlimit, Sys, TimeSpec } from "./sys.ts";

const EINTR = Errno.EINTR;
const ERANGE = 34;
const O_CREAT = 0o100;
const O_TMPFILE_BIT = 0o20000000;

/**
 * Run one libc call; -1 becomes SysError(name, errno, path). With `retryIntr`, EINTR is retried: used for
 * calls that may block (flock, recv, open of a fifo) where a signal for Bun must not fail the operation.
 */
function call(name: string, path: string | undefined, fn: () => number, retryIntr = false, detail?: string): number {
  for (;;) {
    const r = fn();
    if (r !== -1) return r;
    const e = errno();
    if (retryIntr && e === EINTR) continue;
    throw new SysError(name, e, path, detail);
  }
}

/** Raw syscall(2) for calls glibc does not wrap; arguments are integers or addresses from addr(). */
function raw(name: Parameters<typeof syscallNumber>[0], ...args: number[]): number {
  const a = [...args, 0, 0, 0, 0, 0, 0];
  return Number(libc().syscall(syscallNumber(name), a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!));
}

function toBig(v: number | bigint | undefined): number | bigint {
  return v ?? 0;
}

/**
 * execve keeps ignored signals ignored and the signal mask as is. Bun ignores SIGPIPE and SIGXFSZ, so
 * without this every container process would inherit SIG_IGN for them (`yes | head` would misbehave).
 * Resets ignored signals to SIG_DFL and unblocks all; returns a function that undoes it (execve failed).
 */
function resetSignals(): () => void {
  const c = libc();
  const old = new Uint8Array(256); // struct sigaction; sa_handler is its first word on x86_64 and aarch64
  const view = new DataView(old.buffer);
  const ignored: number[] = [];
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === 9 || sig === 19 || sig === 32 || sig === 33) continue; // KILL, STOP, glibc-internal
    if (c.sigaction(sig, null, old) === 0 && view.getBigUint64(0, true) === 1n /* SIG_IGN */) {
      c.signal(sig, 0 /* SIG_DFL */);
      ignored.push(sig);
    }
  }
  const empty = new Uint8Array(128); // sigset_t
  const oldMask = new Uint8Array(128);
  const masked = c.sigprocmask(2 /* SIG_SETMASK */, empty, oldMask) === 0;
  return () => {
    for (const sig of ignored) c.signal(sig, 1);
    if (masked) c.sigprocmask(2, oldMask, null);
  };
}

function capWords(sets: CapSets): Uint32Array {
  const lo = (v: bigint) => Number(v & 0xffff_ffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffff_ffffn);
  // struct __user_cap_data_struct[2]: {effective, permitted, inheritable} for bits 0-31, then 32-63
  return new Uint32Array([
    lo(sets.effective), lo(sets.permitted), lo(sets.inheritable),
    hi(sets.effective), hi(sets.permitted), hi(sets.inheritable),
  ]);
}

export class LinuxSys implements Sys {
  // --- namespaces ---
  unshare(flags: number): void {
    call("unshare", undefined, () => libc().unshare(flags), false, `flags 0x${flags.toString(16)}`);
  }
  setns(fd: number, nstype: number): void {
    call("setns", undefined, () => libc().setns(fd, nstype), false, `fd ${fd}`);
  }

  // --- mounts and root ---
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void {
    const s = cstr(source), t = cstr(target), f = cstr(fstype), d = cstr(data ?? null);
    // For bind/move mounts ENOENT may be about the source, so name it too.
    const detail = source !== null && source.startsWith("/") ? `source \`${source}\`` : undefined;
    call("mount", target, () => libc().mount(s, t, f, flags, d), false, detail);
  }
  umount2(target: string, flags: number): void {
    const t = cstr(target);
    call("umount2", target, () => libc().umount2(t, flags));
  }
  pivotRoot(newRoot: string, putOld: string): void {
    const n = cstr(newRoot), o = cstr(putOld);
    call("pivot_root", newRoot, () => raw("pivot_root", addr(n), addr(o)));
  }
  chroot(path: string): void {
    const p = cstr(path);
    call("chroot", path, () => libc().chroot(p));
  }
  chdir(path: string): void {
    const p = cstr(path);
    call("chdir", path, () => libc().chdir(p));
  }
  fchdir(fd: number): void {
    call("fchdir", undefined, () => libc().fchdir(fd), false, `fd ${fd}`);
  }
  umask(mask: number): number {
    return libc().umask(mask);
  }

  // --- identity ---
  sethostname(name: string): void {
    const n = cstr(name);
    call("sethostname", name, () => libc().sethostname(n, n.byteLength - 1));
  }
  setdomainname(name: string): void {
    const n = cstr(name);
    call("setdomainname", name, () => libc().setdomainname(n, n.byteLength - 1));
  }
  setresuid(ruid: number, euid: number, suid: number): void {
    call("setresuid", undefined, () => libc().setresuid(ruid, euid, suid), false, `${ruid}/${euid}/${suid}`);
  }
  setresgid(rgid: number, egid: number, sgid: number): void {
    call("setresgid", undefined, () => libc().setresgid(rgid, egid, sgid), false, `${rgid}/${egid}/${sgid}`);
  }
  setgroups(gids: number[]): void {
    const list = gids.length > 0 ? new Uint32Array(gids) : null;
    call("setgroups", undefined, () => libc().setgroups(gids.length, list));
  }
  setsid(): number {
    return call("setsid", undefined, () => libc().setsid());
  }

  // --- process control and security ---
  prctl(option: number, arg2?: number | bigint, arg3?: number | bigint, arg4?: number | bigint, arg5?: number | bigint): number {
    const c = libc();
    return call("prctl", undefined, () => c.prctl(option, toBig(arg2), toBig(arg3), toBig(arg4), toBig(arg5)),
      false, `option ${option}`);
  }
  prctlSetName(name: string): void {
    // the kernel keeps 16 bytes including the NUL; cut on a byte boundary ourselves so no error is possible
    const bytes = Buffer.from(name, "utf8").subarray(0, 15);
    const buf = Buffer.alloc(16);
    bytes.copy(buf);
    call("prctl", undefined, () => libc().prctl(15, addr(buf), 0, 0, 0), false, "PR_SET_NAME");
  }
  prctlGetName(): string {
    const buf = Buffer.alloc(16);
    call("prctl", undefined, () => libc().prctl(16, addr(buf), 0, 0, 0), false, "PR_GET_NAME");
    const end = buf.indexOf(0);
    return buf.subarray(0, end < 0 ? 16 : end).toString("utf8");
  }
  capget(pid = 0): CapSets {
    const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, pid]);
    const data = new Uint32Array(6);
    call("capget", undefined, () => libc().capget(header, data), false, `pid ${pid}`);
    const join = (lo: number, hi: number) => (BigInt(hi) << 32n) | BigInt(lo);
    return { effective: join(data[0]!, data[3]!), permitted: join(data[1]!, data[4]!), inheritable: join(data[2]!, data[5]!) };
  }
  capset(sets: CapSets, pid = 0): void {
    const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, pid]);
    const data = capWords(sets);
    call("capset", undefined, () => libc().capset(header, data), false, `pid ${pid}`);
  }
  seccompSetFilter(program: Uint8Array, flags: number): void {
    const n = program.byteLength / 8;
    if (!Number.isInteger(n) || n < 1 || n > 4096) {
      throw new SysError("seccomp", Errno.EINVAL, undefined, `program of ${program.byteLength} bytes is not 1..4096 sock_filter`);
    }
    // struct sock_fprog { unsigned short len; /* pad */ struct sock_filter *filter; }
    const fprog = new DataView(new ArrayBuffer(16));
    fprog.setUint16(0, n, true);
    fprog.setBigUint64(8, BigInt(addr(program)), true);
    call("seccomp", undefined, () => raw("seccomp", 1 /* SECCOMP_SET_MODE_FILTER */, flags, addr(fprog)));
    keepAlive(program);
  }
  getrlimit(resource: number): Rlimit {
    const old = new BigUint64Array(2);
    call("prlimit64", undefined, () => libc().prlimit64(0, resource, null, old), false, `resource ${resource}`);
    return { soft: old[0]!, hard: old[1]! };
  }
  setrlimit(resource: number, limit: Rlimit): void {
    const lim = new BigUint64Array([limit.soft, limit.hard]);
    call("prlimit64", undefined, () => libc().prlimit64(0, resource, lim, null), false,
      `resource ${resource} soft ${limit.soft} hard ${limit.hard}`);
  }
  execve(path: string, argv: string[], envp: string[]): never {
    const p = cstr(path);
    const a = cstrArray(argv), e = cstrArray(envp);
    const restore = resetSignals();
    libc().execve(p, a.array, e.array);
    // Only reached on failure; keep the arrays' strings referenced until here, and give Bun back its signals.
    const code = errno();
    keepAlive(a, e, p);
    restore();
    throw new SysError("execve", code, path);
  }
  kill(pid: number, signal: number): void {
    call("kill", undefined, () => libc().kill(pid, signal), false, `pid ${pid} signal ${signal}`);
  }
  pidfdOpen(pid: number, flags = 0): number {
    return call("pidfd_open", undefined, () => raw("pidfd_open", pid, flags), false, `pid ${pid}`);
  }
  pidfdSendSignal(pidfd: number, signal: number): void {
    call("pidfd_send_signal", undefined, () => raw("pidfd_send_signal", pidfd, signal, 0, 0), false, `signal ${signal}`);
  }

  // --- files ---
  openat(dirfd: number, path: string, flags: number, mode = 0): number {
    const p = cstr(path);
    return call("openat", path, () => libc().openat(dirfd, p, flags, mode), true);
  }
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
    const p = cstr(path);
    // the kernel rejects a nonzero mode without O_CREAT/O_TMPFILE (EINVAL); open(2) ignores it, so do we
    const m = flags & (O_CREAT | O_TMPFILE_BIT) ? mode : 0;
    const how = new BigUint64Array([BigInt(flags >>> 0), BigInt(m), BigInt(resolve)]);
    return call("openat2", path, () => raw("openat2", dirfd, addr(p), addr(how), 24), true);
  }
  close(fd: number): void {
    // never retried: Linux has released the fd even when close reports EINTR
    call("close", undefined, () => libc().close(fd), false, `fd ${fd}`);
  }
  closeRange(first: number, last: number, flags: number): void {
    call("close_range", undefined, () => raw("close_range", first >>> 0, last >>> 0, flags));
  }
  dup3(oldfd: number, newfd: number, flags: number): void {
    call("dup3", undefined, () => libc().dup3(oldfd, newfd, flags), false, `${oldfd} -> ${newfd}`);
  }
  pipe2(flags: number): [number, number] {
    const fds = new Int32Array(2);
    call("pipe2", undefined, () => libc().pipe2(fds, flags));
    return [fds[0]!, fds[1]!];
  }
  mknodat(dirfd: number, path: string, mode: number, dev: number): void {
    const p = cstr(path);
    call("mknodat", path, () => libc().mknodat(dirfd, p, mode, dev));
  }
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void {
    const p = cstr(path);
    call("fchownat", path, () => libc().fchownat(dirfd, p, uid >>> 0, gid >>> 0, flags));
  }
  fchmodat(dirfd: number, path: string, mode: number, flags: number): void {
    const p = cstr(path);
    call("fchmodat", path, () => libc().fchmodat(dirfd, p, mode, flags));
  }
  utimensat(dirfd: number, path: string, atime: TimeSpec, mtime: TimeSpec, flags: number): void {
    const p = cstr(path);
    const times = new BigInt64Array([BigInt(atime.sec), BigInt(atime.nsec), BigInt(mtime.sec), BigInt(mtime.nsec)]);
    call("utimensat", path, () => libc().utimensat(dirfd, p, times, flags));
  }
  fchown(fd: number, uid: number, gid: number): void {
    call("fchown", undefined, () => libc().fchown(fd, uid >>> 0, gid >>> 0), false, `fd ${fd}`);
  }
  fchmod(fd: number, mode: number): void {
    call("fchmod", undefined, () => libc().fchmod(fd, mode), false, `fd ${fd}`);
  }
  futimens(fd: number, atime: TimeSpec, mtime: TimeSpec): void {
    // called once per unpacked file: one reused buffer (the call is synchronous, nothing else can see it)
    const times = (this.timesBuf ??= new BigInt64Array(4));
    times[0] = BigInt(atime.sec);
    times[1] = BigInt(atime.nsec);
    times[2] = BigInt(mtime.sec);
    times[3] = BigInt(mtime.nsec);
    call("futimens", undefined, () => libc().futimens(fd, times), false, `fd ${fd}`);
  }
  private timesBuf: BigInt64Array | null = null;
  readlinkat(dirfd: number, path: string): string {
    const p = cstr(path);
    for (let size = 4096; ; size *= 4) {
      const buf = Buffer.alloc(size);
      const n = call("readlinkat", path, () => Number(libc().readlinkat(dirfd, p, buf, size)));
      // a full buffer may mean truncation: try again larger
      if (n < size) return buf.subarray(0, n).toString("utf8");
    }
  }
  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    const p = cstr(path), n = cstr(name);
    const v = value.byteLength > 0 ? value : null;
    call("lsetxattr", path, () => libc().lsetxattr(p, n, v, value.byteLength, flags), false, name);
  }
  lgetxattr(path: string, name: string): Uint8Array | null {
    const p = cstr(path), n = cstr(name);
    // probe the size, then read; ERANGE means it grew in between, so probe again
    for (;;) {
      let size: number;
      try {
        size = call("lgetxattr", path, () => Number(libc().lgetxattr(p, n, null, 0)), false, name);
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.ENODATA) return null;
        throw e;
      }
      if (size === 0) return new Uint8Array(0);
      const buf = new Uint8Array(size);
      try {
        const got = call("lgetxattr", path, () => Number(libc().lgetxattr(p, n, buf, size)), false, name);
        return buf.subarray(0, got);
      } catch (e) {
        if (e instanceof SysError && e.errno === ERANGE) continue;
        if (e instanceof SysError && e.errno === Errno.ENODATA) return null;
        throw e;
      }
    }
  }
  llistxattr(path: string): string[] {
    const p = cstr(path);
    for (;;) {
      const size = call("llistxattr", path, () => Number(libc().llistxattr(p, null, 0)));
      if (size === 0) return [];
      const buf = Buffer.alloc(size);
      let got: number;
      try {
        got = call("llistxattr", path, () => Number(libc().llistxattr(p, buf, size)));
      } catch (e) {
        if (e instanceof SysError && e.errno === ERANGE) continue;
        throw e;
      }
      return buf.subarray(0, got).toString("utf8").split("\0").filter((s) => s.length > 0);
    }
  }
  lremovexattr(path: string, name: string): void {
    const p = cstr(path), n = cstr(name);
    call("lremovexattr", path, () => libc().lremovexattr(p, n), false, name);
  }
  flock(fd: number, operation: number): void {
    call("flock", undefined, () => libc().flock(fd, operation), true, `fd ${fd}`);
  }
  ioctl(fd: number, request: number | bigint, arg: number | bigint | Uint8Array): number {
    const a = arg instanceof Uint8Array ? addr(arg) : arg;
    const req = typeof request === "bigint" ? request : BigInt(request >>> 0);
    return call("ioctl", undefined, () => libc().ioctl(fd, req, a), false, `fd ${fd} request 0x${req.toString(16)}`);
  }

  // --- eBPF ---
  bpfProgLoad(progType: number, insns: Uint8Array, license: string, name: string): number {
    return bpf.progLoad(progType, insns, license, name);
  }
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void {
    bpf.progAttach(targetFd, progFd, attachType, flags);
  }
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
    bpf.progDetach(targetFd, progFd, attachType);
  }
  bpfProgQuery(targetFd: number, attachType: number): number[] {
    return bpf.progQuery(targetFd, attachType);
  }
  bpfProgGetFdById(id: number): number {
    return bpf.progGetFdById(id);
  }

  // --- sockets ---
  socket(domain: number, type: number, protocol: number): number {
    return call("socket", undefined, () => libc().socket(domain, type, protocol), false, `domain ${domain} type ${type}`);
  }
  bind(fd: number, address: Uint8Array): void {
    call("bind", undefined, () => libc().bind(fd, address, address.byteLength), false, `fd ${fd}`);
  }
  connect(fd: number, address: Uint8Array): void {
    call("connect", undefined, () => libc().connect(fd, address, address.byteLength), false, `fd ${fd}`);
  }
  send(fd: number, data: Uint8Array, flags = 0): number {
    const d = data.byteLength > 0 ? data : null;
    return call("send", undefined, () => Number(libc().send(fd, d, data.byteLength, flags)), true, `fd ${fd}`);
  }
  sendto(fd: number, data: Uint8Array, address: Uint8Array | null, flags = 0): number {
    const d = data.byteLength > 0 ? data : null;
    const alen = address?.byteLength ?? 0;
    const a = alen > 0 ? address : null;
    return call("sendto", undefined, () => Number(libc().sendto(fd, d, data.byteLength, flags, a, alen)), true, `fd ${fd}`);
  }
  recv(fd: number, buf: Uint8Array, flags = 0): number {
    const b = buf.byteLength > 0 ? buf : null;
    return call("recv", undefined, () => Number(libc().recv(fd, b, buf.byteLength, flags)), true, `fd ${fd}`);
  }
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): void {
    call("setsockopt", undefined, () => libc().setsockopt(fd, level, name, value, value.byteLength), false,
      `level ${level} option ${name}`);
  }
}

let shared: LinuxSys | null = null;

/** The process-wide LinuxSys, created on first use (it holds no state; one is enough). */
export function linuxSys(): LinuxSys {
  return (shared ??= new LinuxSys());
}
