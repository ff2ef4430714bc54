/**
 * `Sys` for unit tests: every call is appended to `calls` as a typed record, nothing touches the kernel.
 * Tests check what was called and in which order (`callsOf("mount")`, `callNames()`), and make chosen calls
 * fail with `failNext("mount", Errno.EPERM)`. Return values are plausible and consistent (fds count up from
 * 100, capset changes what capget returns, xattrs set are read back), so multi-step logic runs unchanged.
 * Modelled on youki's TestHelperSyscall, but passed in by the caller instead of picked by build mode.
 */
import { Errno, SysError } from "./errors.ts";
import { RLIM_INFINITY, RLIMIT_NOFILE } from "./constants.ts";
import type { CapSets, Rlimit, Sys, TimeSpec } from "./sys.ts";

type Int = number | bigint;

/** The arguments of each call, by method name. */
export interface SysCallArgs {
  unshare: { flags: number };
  setns: { fd: number; nstype: number };
  mount: { source: string | null; target: string; fstype: string | null; flags: number; data: string | null };
  umount2: { target: string; flags: number };
  pivotRoot: { newRoot: string; putOld: string };
  chroot: { path: string };
  chdir: { path: string };
  fchdir: { fd: number };
  umask: { mask: number };
  sethostname: { name: string };
  setdomainname: { name: string };
  setresuid: { ruid: number; euid: number; suid: number };
  setresgid: { rgid: number; egid: number; sgid: number };
  setgroups: { gids: number[] };
  setsid: Record<string, never>;
  prctl: { option: number; arg2: Int; arg3: Int; arg4: Int; arg5: Int };
  prctlSetName: { name: string };
  prctlGetName: Record<string, never>;
  capget: { pid: number };
  capset: { sets: CapSets; pid: number };
  seccompSetFilter: { program: Uint8Array; flags: number };
  getrlimit: { resource: number };
  setrlimit: { resource: number; limit: Rlimit };
  execve: { path: string; argv: string[]; envp: string[] };
  kill: { pid: number; signal: number };
  pidfdOpen: { pid: number; flags: number };
  pidfdSendSignal: { pidfd: number; signal: number };
  openat: { dirfd: number; path: string; flags: number; mode: number };
  openat2: { dirfd: number; path: string; flags: number; mode: number; resolve: number };
  close: { fd: number };
  closeRange: { first: number; last: number; flags: number };
  dup3: { oldfd: number; newfd: number; flags: number };
  pipe2: { flags: number };
  mknodat: { dirfd: number; path: string; mode: number; dev: number };
  fchownat: { dirfd: number; path: string; uid: number; gid: number; flags: number };
  fchmodat: { dirfd: number; path: string; mode: number; flags: number };
  utimensat: { dirfd: number; path: string; atime: TimeSpec; mtime: TimeSpec; flags: number };
  fchown: { fd: number; uid: number; gid: number };
  fchmod: { fd: number; mode: number };
  futimens: { fd: number; atime: TimeSpec; mtime: TimeSpec };
  readlinkat: { dirfd: number; path: string };
  lsetxattr: { path: string; name: string; value: Uint8Array; flags: number };
  lgetxattr: { path: string; name: string };
  llistxattr: { path: string };
  lremovexattr: { path: string; name: string };
  flock: { fd: number; operation: number };
  ioctl: { fd: number; request: Int; arg: Int | Uint8Array };
  socket: { domain: number; type: number; protocol: number };
  bind: { fd: number; addr: Uint8Array };
  connect: { fd: number; addr: Uint8Array };
  send: { fd: number; data: Uint8Array; flags: number };
  sendto: { fd: number; data: Uint8Array; addr: Uint8Array | null; flags: number };
  recv: { fd: number; length: number; flags: number };
  setsockopt: { fd: number; level: number; name: number; value: Uint8Array };
  bpfProgLoad: { progType: number; insns: Uint8Array; license: string; name: string };
  bpfProgAttach: { targetFd: number; progFd: number; attachType: number; flags: number };
  bpfProgDetach: { targetFd: number; progFd: number; attachType: number };
  bpfProgQuery: { targetFd: number; attachType: number };
  bpfProgGetFdById: { id: number };
}

/** A program RecordingSys "loaded"; ids count up from 1 like the kernel's. */
export interface FakeBpfProgram {
  id: number;
  progType: number;
  insns: Uint8Array;
  license: string;
  name: string;
}

/** One program attached to a target, as BPF_PROG_ATTACH left it. */
export interface FakeBpfAttachment {
  program: FakeBpfProgram;
  attachType: number;
  flags: number;
}

export type SysCallName = keyof SysCallArgs;

/** One recorded call; `error` is set when failNext made it fail. */
export type SysCallRecord = {
  [K in SysCallName]: { call: K; args: SysCallArgs[K]; error?: SysError };
}[SysCallName];

// Compile-time guard: every Sys method has an args type here (and nothing else does).
type _Missing = Exclude<keyof Sys, SysCallName> | Exclude<SysCallName, keyof Sys>;
const _exhaustive: [_Missing] extends [never] ? true : never = true;
void _exhaustive;

/** Thrown by RecordingSys.execve after recording: a real execve never returns, so the caller must not go on. */
export class ExecveCalled extends Error {
  constructor(readonly path: string, readonly argv: string[], readonly envp: string[]) {
    super(`execve \`${path}\` (recorded, not run)`);
    this.name = "ExecveCalled";
  }
}

/** Kernel names used in SysError messages where the method name differs, same as LinuxSys. */
const KERNEL_NAME: Partial<Record<SysCallName, string>> = {
  pivotRoot: "pivot_root", seccompSetFilter: "seccomp", getrlimit: "prlimit64", setrlimit: "prlimit64",
  pidfdOpen: "pidfd_open", pidfdSendSignal: "pidfd_send_signal", closeRange: "close_range",
  prctlSetName: "prctl", prctlGetName: "prctl",
  bpfProgLoad: "bpf(BPF_PROG_LOAD)", bpfProgAttach: "bpf(BPF_PROG_ATTACH)", bpfProgDetach: "bpf(BPF_PROG_DETACH)",
  bpfProgQuery: "bpf(BPF_PROG_QUERY)", bpfProgGetFdById: "bpf(BPF_PROG_GET_FD_BY_ID)",
};

function pathOf(call: SysCallName, args: Record<string, unknown>): string | undefined {
  const p = args.path ?? args.target ?? args.newRoot;
  if (typeof p === "string") return p;
  if (call === "sethostname" || call === "setdomainname") return args.name as string;
  return undefined;
}

interface Failure {
  errno: number;
  remaining: number;
  when?: (args: never) => boolean;
}

/** All 41 capabilities. */
export const FULL_CAPS = (1n << 41n) - 1n;

export class RecordingSys implements Sys {
  readonly calls: SysCallRecord[] = [];
  /** Bytes handed out by recv(), oldest first; recv returns 0 (EOF) when empty. */
  readonly recvQueue: Uint8Array[] = [];
  /** State that makes answers consistent; tests may read or preset it. */
  caps: CapSets = { effective: FULL_CAPS, permitted: FULL_CAPS, inheritable: 0n };
  readonly rlimits = new Map<number, Rlimit>([[RLIMIT_NOFILE, { soft: 1024n, hard: 524288n }]]);
  readonly xattrs = new Map<string, Map<string, Uint8Array>>();
  readonly links = new Map<string, string>();
  readonly fds = new Map<number, string>();
  threadName = "bun";
  /** loaded programs by id */
  readonly bpfPrograms = new Map<number, FakeBpfProgram>();
  /** attached programs by target (the path its fd was opened with), oldest first */
  readonly bpfAttached = new Map<string, FakeBpfAttachment[]>();
  private nextFd = 100;
  private currentUmask = 0o022;
  private failures = new Map<SysCallName, Failure[]>();

  /**
   * Make the next `times` calls of `call` throw SysError(errno); with `when`, only calls whose args match
   * count. Failed calls are still recorded (with `error`), since the program did attempt them.
   */
  failNext<K extends SysCallName>(call: K, errno: number, times = 1, when?: (args: SysCallArgs[K]) => boolean): this {
    const list = this.failures.get(call) ?? [];
    list.push({ errno, remaining: times, when: when as Failure["when"] });
    this.failures.set(call, list);
    return this;
  }

  /** The args of every recorded `call`, in order. */
  callsOf<K extends SysCallName>(call: K): SysCallArgs[K][] {
    return this.calls.filter((r) => r.call === call).map((r) => r.args as SysCallArgs[K]);
  }

  /** The sequence of call names, for order assertions. */
  callNames(): SysCallName[] {
    return this.calls.map((r) => r.call);
  }

  /** Forget recorded calls and pending failures (state such as caps and xattrs is kept). */
  reset(): void {
    this.calls.length = 0;
    this.failures.clear();
  }

  private rec<K extends SysCallName>(call: K, args: SysCallArgs[K]): void {
    const record = { call, args } as SysCallRecord;
    this.calls.push(record);
    const list = this.failures.get(call);
    const f = list?.find((x) => x.remaining > 0 && (!x.when || x.when(args as never)));
    if (!f) return;
    f.remaining--;
    const error = new SysError(KERNEL_NAME[call] ?? call, f.errno, pathOf(call, args as Record<string, unknown>));
    record.error = error;
    throw error;
  }

  private fd(description: string): number {
    const fd = this.nextFd++;
    this.fds.set(fd, description);
    return fd;
  }

  /** A failure that follows from state (not from failNext); also marked on the call's record. */
  private fail(call: string, errno: number, path?: string): never {
    const error = new SysError(call, errno, path);
    const last = this.calls[this.calls.length - 1];
    if (last) last.error = error;
    throw error;
  }

  unshare(flags: number): void { this.rec("unshare", { flags }); }
  setns(fd: number, nstype: number): void { this.rec("setns", { fd, nstype }); }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void {
    this.rec("mount", { source, target, fstype, flags, data: data ?? null });
  }
  umount2(target: string, flags: number): void { this.rec("umount2", { target, flags }); }
  pivotRoot(newRoot: string, putOld: string): void { this.rec("pivotRoot", { newRoot, putOld }); }
  chroot(path: string): void { this.rec("chroot", { path }); }
  chdir(path: string): void { this.rec("chdir", { path }); }
  fchdir(fd: number): void { this.rec("fchdir", { fd }); }
  umask(mask: number): number {
    this.rec("umask", { mask });
    const old = this.currentUmask;
    this.currentUmask = mask & 0o777;
    return old;
  }

  sethostname(name: string): void { this.rec("sethostname", { name }); }
  setdomainname(name: string): void { this.rec("setdomainname", { name }); }
  setresuid(ruid: number, euid: number, suid: number): void { this.rec("setresuid", { ruid, euid, suid }); }
  setresgid(rgid: number, egid: number, sgid: number): void { this.rec("setresgid", { rgid, egid, sgid }); }
  setgroups(gids: number[]): void { this.rec("setgroups", { gids: [...gids] }); }
  setsid(): number {
    this.rec("setsid", {});
    return 4242;
  }

  prctl(option: number, arg2: Int = 0, arg3: Int = 0, arg4: Int = 0, arg5: Int = 0): number {
    this.rec("prctl", { option, arg2, arg3, arg4, arg5 });
    return 0;
  }
  prctlSetName(name: string): void {
    this.rec("prctlSetName", { name });
    this.threadName = Buffer.from(name, "utf8").subarray(0, 15).toString("utf8");
  }
  prctlGetName(): string {
    this.rec("prctlGetName", {});
    return this.threadName;
  }
  capget(pid = 0): CapSets {
    this.rec("capget", { pid });
    return { ...this.caps };
  }
  capset(sets: CapSets, pid = 0): void {
    this.rec("capset", { sets: { ...sets }, pid });
    // like the kernel: permitted may only shrink, effective must stay within permitted
    if ((sets.permitted & ~this.caps.permitted) !== 0n || (sets.effective & ~sets.permitted) !== 0n) {
      this.fail("capset", Errno.EPERM);
    }
    this.caps = { ...sets };
  }
  seccompSetFilter(program: Uint8Array, flags: number): void {
    this.rec("seccompSetFilter", { program: program.slice(), flags });
  }
  getrlimit(resource: number): Rlimit {
    this.rec("getrlimit", { resource });
    return { ...(this.rlimits.get(resource) ?? { soft: RLIM_INFINITY, hard: RLIM_INFINITY }) };
  }
  setrlimit(resource: number, limit: Rlimit): void {
    this.rec("setrlimit", { resource, limit: { ...limit } });
    this.rlimits.set(resource, { ...limit });
  }
  execve(path: string, argv: string[], envp: string[]): never {
    this.rec("execve", { path, argv: [...argv], envp: [...envp] });
    throw new ExecveCalled(path, argv, envp);
  }
  kill(pid: number, signal: number): void { this.rec("kill", { pid, signal }); }
  pidfdOpen(pid: number, flags = 0): number {
    this.rec("pidfdOpen", { pid, flags });
    return this.fd(`anon_inode:[pidfd]`);
  }
  pidfdSendSignal(pidfd: number, signal: number): void { this.rec("pidfdSendSignal", { pidfd, signal }); }

  openat(dirfd: number, path: string, flags: number, mode = 0): number {
    this.rec("openat", { dirfd, path, flags, mode });
    return this.fd(path);
  }
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
    this.rec("openat2", { dirfd, path, flags, mode, resolve });
    const base = this.fds.get(dirfd);
    return this.fd(base !== undefined ? `${base.replace(/\/$/, "")}/${path.replace(/^\/+/, "")}` : path);
  }
  close(fd: number): void {
    this.rec("close", { fd });
    this.fds.delete(fd);
  }
  closeRange(first: number, last: number, flags: number): void { this.rec("closeRange", { first, last, flags }); }
  dup3(oldfd: number, newfd: number, flags: number): void {
    this.rec("dup3", { oldfd, newfd, flags });
    this.fds.set(newfd, this.fds.get(oldfd) ?? `fd:${oldfd}`);
  }
  pipe2(flags: number): [number, number] {
    this.rec("pipe2", { flags });
    return [this.fd("pipe:[r]"), this.fd("pipe:[w]")];
  }
  mknodat(dirfd: number, path: string, mode: number, dev: number): void { this.rec("mknodat", { dirfd, path, mode, dev }); }
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void {
    this.rec("fchownat", { dirfd, path, uid, gid, flags });
  }
  fchmodat(dirfd: number, path: string, mode: number, flags: number): void { this.rec("fchmodat", { dirfd, path, mode, flags }); }
  utimensat(dirfd: number, path: string, atime: TimeSpec, mtime: TimeSpec, flags: number): void {
    this.rec("utimensat", { dirfd, path, atime: { ...atime }, mtime: { ...mtime }, flags });
  }
  fchown(fd: number, uid: number, gid: number): void { this.rec("fchown", { fd, uid, gid }); }
  fchmod(fd: number, mode: number): void { this.rec("fchmod", { fd, mode }); }
  futimens(fd: number, atime: TimeSpec, mtime: TimeSpec): void {
    this.rec("futimens", { fd, atime: { ...atime }, mtime: { ...mtime } });
  }
  readlinkat(dirfd: number, path: string): string {
    this.rec("readlinkat", { dirfd, path });
    const m = /^\/proc\/(?:self|thread-self)\/fd\/(\d+)$/.exec(path);
    const target = m ? this.fds.get(Number(m[1])) : this.links.get(path);
    return target ?? this.fail("readlinkat", Errno.ENOENT, path);
  }
  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    this.rec("lsetxattr", { path, name, value: value.slice(), flags });
    const attrs = this.xattrs.get(path) ?? new Map<string, Uint8Array>();
    attrs.set(name, value.slice());
    this.xattrs.set(path, attrs);
  }
  lgetxattr(path: string, name: string): Uint8Array | null {
    this.rec("lgetxattr", { path, name });
    return this.xattrs.get(path)?.get(name)?.slice() ?? null;
  }
  llistxattr(path: string): string[] {
    this.rec("llistxattr", { path });
    return [...(this.xattrs.get(path)?.keys() ?? [])];
  }
  lremovexattr(path: string, name: string): void {
    this.rec("lremovexattr", { path, name });
    if (!this.xattrs.get(path)?.delete(name)) this.fail("lremovexattr", Errno.ENODATA, path);
  }
  flock(fd: number, operation: number): void { this.rec("flock", { fd, operation }); }
  ioctl(fd: number, request: Int, arg: Int | Uint8Array): number {
    this.rec("ioctl", { fd, request, arg });
    return 0;
  }

  socket(domain: number, type: number, protocol: number): number {
    this.rec("socket", { domain, type, protocol });
    return this.fd(`socket:[${domain}]`);
  }
  bind(fd: number, addr: Uint8Array): void { this.rec("bind", { fd, addr: addr.slice() }); }
  connect(fd: number, addr: Uint8Array): void { this.rec("connect", { fd, addr: addr.slice() }); }
  send(fd: number, data: Uint8Array, flags = 0): number {
    this.rec("send", { fd, data: data.slice(), flags });
    return data.byteLength;
  }
  sendto(fd: number, data: Uint8Array, addr: Uint8Array | null, flags = 0): number {
    this.rec("sendto", { fd, data: data.slice(), addr: addr?.slice() ?? null, flags });
    return data.byteLength;
  }
  recv(fd: number, buf: Uint8Array, flags = 0): number {
    this.rec("recv", { fd, length: buf.byteLength, flags });
    const next = this.recvQueue.shift();
    if (!next) return 0;
    const n = Math.min(next.byteLength, buf.byteLength);
    buf.set(next.subarray(0, n));
    return n;
  }
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): void {
    this.rec("setsockopt", { fd, level, name, value: value.slice() });
  }

  bpfProgLoad(progType: number, insns: Uint8Array, license: string, name: string): number {
    this.rec("bpfProgLoad", { progType, insns: insns.slice(), license, name });
    const program = { id: this.bpfPrograms.size + 1, progType, insns: insns.slice(), license, name };
    this.bpfPrograms.set(program.id, program);
    return this.fd(`anon_inode:bpf-prog:${program.id}`);
  }
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void {
    this.rec("bpfProgAttach", { targetFd, progFd, attachType, flags });
    const program = this.bpfProgram("bpf(BPF_PROG_ATTACH)", progFd);
    const list = this.bpfTarget(targetFd);
    // the kernel refuses the same program twice on one cgroup and attach type
    if (list.some((a) => a.program === program && a.attachType === attachType)) this.fail("bpf(BPF_PROG_ATTACH)", Errno.EEXIST);
    list.push({ program, attachType, flags });
  }
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
    this.rec("bpfProgDetach", { targetFd, progFd, attachType });
    const program = this.bpfProgram("bpf(BPF_PROG_DETACH)", progFd);
    const list = this.bpfTarget(targetFd);
    const at = list.findIndex((a) => a.program === program && a.attachType === attachType);
    if (at < 0) this.fail("bpf(BPF_PROG_DETACH)", Errno.ENOENT);
    list.splice(at, 1);
  }
  bpfProgQuery(targetFd: number, attachType: number): number[] {
    this.rec("bpfProgQuery", { targetFd, attachType });
    return this.bpfTarget(targetFd).filter((a) => a.attachType === attachType).map((a) => a.program.id);
  }
  bpfProgGetFdById(id: number): number {
    this.rec("bpfProgGetFdById", { id });
    if (!this.bpfPrograms.has(id)) this.fail("bpf(BPF_PROG_GET_FD_BY_ID)", Errno.ENOENT);
    return this.fd(`anon_inode:bpf-prog:${id}`);
  }

  private bpfProgram(call: string, fd: number): FakeBpfProgram {
    const id = /^anon_inode:bpf-prog:(\d+)$/.exec(this.fds.get(fd) ?? "")?.[1];
    return this.bpfPrograms.get(Number(id)) ?? this.fail(call, Errno.EBADF);
  }
  private bpfTarget(fd: number): FakeBpfAttachment[] {
    const key = this.fds.get(fd) ?? `fd:${fd}`;
    let list = this.bpfAttached.get(key);
    if (!list) this.bpfAttached.set(key, (list = []));
    return list;
  }
}
