/**
 * The syscall surface bunker needs. `LinuxSys` implements it with bun:ffi; `RecordingSys` records each
 * call as a typed record (and can fail chosen calls) so runtime logic is unit-tested without root.
 * Every method throws SysError (call, path, errno) on failure.
 */
export interface TimeSpec {
  /** seconds since the epoch */
  sec: number;
  /** nanoseconds, 0..999_999_999 */
  nsec: number;
}

export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

export interface Sys {
  // namespaces
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;

  // mounts and root
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  chroot(path: string): void;
  chdir(path: string): void;
  fchdir(fd: number): void;
  umask(mask: number): number;

  // identity
  sethostname(name: string): void;
  setdomainname(name: string): void;
  setresuid(ruid: number, euid: number, suid: number): void;
  setresgid(rgid: number, egid: number, sgid: number): void;
  setgroups(gids: number[]): void;
  setsid(): number;

  // process control and security
  prctl(option: number, arg2?: number | bigint, arg3?: number | bigint, arg4?: number | bigint, arg5?: number | bigint): number;
  capget(pid?: number): CapSets;
  capset(sets: CapSets, pid?: number): void;
  /** seccomp(SECCOMP_SET_MODE_FILTER) with a packed array of struct sock_filter (8 bytes each). */
  seccompSetFilter(program: Uint8Array, flags: number): void;
  /** PR_SET_NAME: the calling thread's name (what ps/top show for the main thread), cut to 15 bytes. */
  prctlSetName(name: string): void;
  /** PR_GET_NAME */
  prctlGetName(): string;
  getrlimit(resource: number): Rlimit;
  setrlimit(resource: number, limit: Rlimit): void;
  /** Replaces the whole process (all Bun threads included). Returns only by throwing. */
  execve(path: string, argv: string[], envp: string[]): never;
  kill(pid: number, signal: number): void;
  pidfdOpen(pid: number, flags?: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;

  // files, resolved relative to a directory fd (AT_FDCWD = -100)
  openat(dirfd: number, path: string, flags: number, mode?: number): number;
  /** openat2 with struct open_how {flags, mode, resolve}; RESOLVE_IN_ROOT etc. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  close(fd: number): void;
  /** close_range(2): close (or with CLOSE_RANGE_CLOEXEC mark) fds first..last; init uses it so no fd leaks. */
  closeRange(first: number, last: number, flags: number): void;
  dup3(oldfd: number, newfd: number, flags: number): void;
  pipe2(flags: number): [number, number];
  mknodat(dirfd: number, path: string, mode: number, dev: number): void;
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void;
  fchmodat(dirfd: number, path: string, mode: number, flags: number): void;
  utimensat(dirfd: number, path: string, atime: TimeSpec, mtime: TimeSpec, flags: number): void;
  // on an open fd: no path lookup, nothing to race (layer apply sets a new file's metadata this way)
  fchown(fd: number, uid: number, gid: number): void;
  fchmod(fd: number, mode: number): void;
  futimens(fd: number, atime: TimeSpec, mtime: TimeSpec): void;
  readlinkat(dirfd: number, path: string): string;
  lsetxattr(path: string, name: string, value: Uint8Array, flags?: number): void;
  /** null when the attribute does not exist (ENODATA) */
  lgetxattr(path: string, name: string): Uint8Array | null;
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  flock(fd: number, operation: number): void;
  ioctl(fd: number, request: number | bigint, arg: number | bigint | Uint8Array): number;

  // eBPF (cgroup v2 device filters); each throws SysError named "bpf(BPF_PROG_…)"
  /**
   * BPF_PROG_LOAD of packed struct bpf_insn; returns the program fd (close-on-exec). When the verifier
   * refuses the program, the error's message ends with the verifier's log.
   */
  bpfProgLoad(progType: number, insns: Uint8Array, license: string, name: string): number;
  /** BPF_PROG_ATTACH of `progFd` to `targetFd` (for cgroups: an O_DIRECTORY fd of the cgroup dir) */
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void;
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  /** BPF_PROG_QUERY: ids of the programs attached to `targetFd` itself for `attachType` (not inherited ones) */
  bpfProgQuery(targetFd: number, attachType: number): number[];
  /** BPF_PROG_GET_FD_BY_ID: an fd for an attached program, which BPF_PROG_DETACH needs */
  bpfProgGetFdById(id: number): number;

  // sockets (netlink and unix)
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array): void;
  connect(fd: number, addr: Uint8Array): void;
  send(fd: number, data: Uint8Array, flags?: number): number;
  sendto(fd: number, data: Uint8Array, addr: Uint8Array | null, flags?: number): number;
  recv(fd: number, buf: Uint8Array, flags?: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): void;
}
