/**
 * The one bun:ffi binding of libc for the whole repo. Everything else reaches the kernel through `Sys`.
 *
 * Conventions (why they are the way they are):
 * - libc is opened lazily, once: importing src/sys must stay free on hosts/tests that never call the kernel.
 * - Pointer arguments are declared "ptr" so a Buffer/TypedArray can be passed directly; Bun pins it for the
 *   duration of the call. The caller keeps the JS value referenced until the call returns.
 * - `syscall` is variadic in C; we declare it with six i64 arguments. On x86_64 and aarch64 Linux, integer
 *   variadic arguments travel in the same registers as fixed ones, so this is ABI-safe. Pointer arguments
 *   to it are passed as numbers from `ptr()`.
 * - errno is read through __errno_location() on the calling thread right after a call returned -1.
 */
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";

/** Raw syscall numbers for calls glibc does not wrap (or wraps too recently to rely on). */
export const SYSCALL_NUMBERS = {
  x64: {
    pivot_root: 155, openat2: 437, pidfd_open: 434, pidfd_send_signal: 424, seccomp: 317,
    capget: 125, capset: 126, close_range: 436, bpf: 321,
  },
  arm64: {
    pivot_root: 41, openat2: 437, pidfd_open: 434, pidfd_send_signal: 424, seccomp: 277,
    capget: 90, capset: 91, close_range: 436, bpf: 280,
  },
} as const;

export type SyscallName = keyof (typeof SYSCALL_NUMBERS)["x64"];

/** The syscall number for this machine; throws on architectures we have no table for. */
export function syscallNumber(name: SyscallName, arch: string = process.arch): number {
  const table = (SYSCALL_NUMBERS as Record<string, Record<SyscallName, number>>)[arch];
  if (!table) throw new Error(`bunker: no syscall table for architecture ${arch}`);
  return table[name];
}

const I = "i32" as const;
const U = "u32" as const;
const P = "ptr" as const;
const L = FFIType.i64_fast; // ssize_t / long returns: numbers when they fit, which they always do here
const U64 = "u64" as const;

const SYMBOLS = {
  __errno_location: { args: [], returns: P },
  // namespaces, mounts, root
  unshare: { args: [I], returns: I },
  setns: { args: [I, I], returns: I },
  mount: { args: [P, P, P, "u64", P], returns: I },
  umount2: { args: [P, I], returns: I },
  chroot: { args: [P], returns: I },
  chdir: { args: [P], returns: I },
  fchdir: { args: [I], returns: I },
  umask: { args: [U], returns: U },
  // identity
  sethostname: { args: [P, U64], returns: I },
  setdomainname: { args: [P, U64], returns: I },
  setresuid: { args: [U, U, U], returns: I },
  setresgid: { args: [U, U, U], returns: I },
  setgroups: { args: [U64, P], returns: I },
  setsid: { args: [], returns: I },
  // process control
  prctl: { args: [I, "u64", "u64", "u64", "u64"], returns: I },
  capget: { args: [P, P], returns: I },
  capset: { args: [P, P], returns: I },
  prlimit64: { args: [I, I, P, P], returns: I },
  execve: { args: [P, P, P], returns: I },
  kill: { args: [I, I], returns: I },
  sigaction: { args: [I, P, P], returns: I },
  signal: { args: [I, "u64"], returns: "u64" },
  sigprocmask: { args: [I, P, P], returns: I },
  syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: L },
  // files
  openat: { args: [I, P, I, U], returns: I },
  close: { args: [I], returns: I },
  dup3: { args: [I, I, I], returns: I },
  pipe2: { args: [P, I], returns: I },
  mknodat: { args: [I, P, U, "u64"], returns: I },
  fchownat: { args: [I, P, U, U, I], returns: I },
  fchmodat: { args: [I, P, U, I], returns: I },
  utimensat: { args: [I, P, P, I], returns: I },
  fchown: { args: [I, U, U], returns: I },
  fchmod: { args: [I, U], returns: I },
  futimens: { args: [I, P], returns: I },
  readlinkat: { args: [I, P, P, U64], returns: L },
  lsetxattr: { args: [P, P, P, U64, I], returns: I },
  lgetxattr: { args: [P, P, P, U64], returns: L },
  llistxattr: { args: [P, P, U64], returns: L },
  lremovexattr: { args: [P, P], returns: I },
  flock: { args: [I, I], returns: I },
  // ioctl is variadic; its third argument is either an integer or a pointer, passed as a u64 either way
  ioctl: { args: [I, "u64", "u64"], returns: I },
  // sockets
  socket: { args: [I, I, I], returns: I },
  bind: { args: [I, P, U], returns: I },
  connect: { args: [I, P, U], returns: I },
  send: { args: [I, P, U64, I], returns: L },
  sendto: { args: [I, P, U64, I, P, U], returns: L },
  recv: { args: [I, P, U64, I], returns: L },
  setsockopt: { args: [I, I, I, P, U], returns: I },
} as const;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>;
let lib: Lib | null = null;

/** libc's symbols, opened on first use. */
export function libc(): Lib["symbols"] {
  if (lib === null) lib = dlopen("libc.so.6", SYMBOLS);
  return lib.symbols;
}

/** errno of the calling thread; only meaningful right after a call returned -1. */
export function errno(): number {
  const loc = libc().__errno_location();
  return loc === null ? 0 : read.i32(loc as Pointer);
}

/** A NUL-terminated copy of `s`, or null when `s` is null. Refuses interior NULs: they would truncate paths. */
export function cstr(s: string): Buffer;
export function cstr(s: string | null): Buffer | null;
export function cstr(s: string | null): Buffer | null {
  if (s === null) return null;
  if (s.includes("\0")) throw new TypeError(`bunker: string contains a NUL byte: ${JSON.stringify(s)}`);
  return Buffer.from(s + "\0", "utf8");
}

/** The address of a non-empty view as a number (for `syscall`/`ioctl` arguments); 0 for null/empty. */
export function addr(view: NodeJS.TypedArray | DataView | null): number {
  if (view === null || view.byteLength === 0) return 0;
  return ptr(view);
}

/** A NULL-terminated char*[] built from strings; the returned `keep` must stay referenced during the call. */
export function cstrArray(items: string[]): { array: BigUint64Array; keep: Buffer[] } {
  const keep = items.map((s) => cstr(s));
  const array = new BigUint64Array(keep.length + 1);
  keep.forEach((b, i) => (array[i] = BigInt(ptr(b))));
  array[keep.length] = 0n;
  return { array, keep };
}

/** Keeps values reachable past a call whose C side holds raw pointers into them (argv arrays, sock_fprog). */
let sink: unknown = null;
export function keepAlive(...values: unknown[]): void {
  sink = values;
  sink = null;
}
