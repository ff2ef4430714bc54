/**
 * Calls the runtime needs that are not (yet) part of `Sys`: kept apart so the Sys interface owner can
 * fold them in later. Raw syscalls through libc's `syscall`, same conventions as linux.ts.
 */
import { addr, errno, libc } from "./ffi.ts";
import { SysError } from "./errors.ts";

/** pidfd_getfd(2) is 438 on every architecture that has it (asm-generic numbering since 5.6). */
const SYS_PIDFD_GETFD = 438;

/**
 * Duplicate fd `targetFd` of the process behind `pidfd` into this process (close-on-exec). The runtime
 * takes the pty master that init opened inside the container's own devpts this way, so `tty` in the
 * container prints /dev/pts/0 (runc sends it over a unix socket with SCM_RIGHTS for the same reason).
 */
export function pidfdGetfd(pidfd: number, targetFd: number): number {
  const r = Number(libc().syscall(SYS_PIDFD_GETFD, pidfd, targetFd, 0, 0, 0, 0));
  if (r === -1) throw new SysError("pidfd_getfd", errno(), undefined, `fd ${targetFd}`);
  return r;
}

const SYS_WAIT4: Record<string, number> = { x64: 61, arm64: 260 };
const SYS_WAITID: Record<string, number> = { x64: 247, arm64: 95 };
export const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
const P_ALL = 0;

function nr(table: Record<string, number>, name: string): number {
  const n = table[process.arch];
  if (n === undefined) throw new Error(`bunker: no ${name} syscall number for ${process.arch}`);
  return n;
}

/**
 * wait4(2) for one pid: `{pid: 0}` when WNOHANG found nothing; throws SysError (ECHILD: not our child).
 * `status` is the raw wait status (exit code in bits 8-15, terminating signal in bits 0-6).
 */
export function wait4(pid: number, options: number): { pid: number; status: number } {
  const status = new Int32Array(1);
  const r = Number(libc().syscall(nr(SYS_WAIT4, "wait4"), pid, addr(status), options, 0, 0, 0));
  if (r === -1) throw new SysError("wait4", errno(), undefined, `pid ${pid}`);
  return { pid: r, status: status[0]! };
}

/**
 * The pid of some child that has exited, without reaping it (waitid P_ALL, WEXITED|WNOHANG|WNOWAIT);
 * 0 when none has, -1 when there are no children at all. A reaper uses it to leave the child it spawned
 * with Bun.spawn to Bun and reap only orphans.
 */
export function peekExitedChild(): number {
  const info = new Int32Array(32); // siginfo_t, 128 bytes; si_pid at byte 16
  const r = Number(libc().syscall(nr(SYS_WAITID, "waitid"), P_ALL, 0, addr(info), WEXITED | WNOHANG | WNOWAIT, 0, 0));
  if (r === -1) {
    const e = errno();
    if (e === 10 /* ECHILD */) return -1;
    throw new SysError("waitid", e);
  }
  return info[4]!;
}

const SYS_FCNTL: Record<string, number> = { x64: 72, arm64: 25 };
const F_SETFD = 2;

/**
 * Clears FD_CLOEXEC on `fd` so it survives an execve. Bun opens everything close-on-exec; the detached
 * supervisor clears it on exactly the fds (output pipes, log file) it hands to its idle mode.
 */
export function clearCloexec(fd: number): void {
  const r = Number(libc().syscall(nr(SYS_FCNTL, "fcntl"), fd, F_SETFD, 0, 0, 0, 0));
  if (r === -1) throw new SysError("fcntl", errno(), undefined, `fd ${fd}`);
}

const P_PID = 1;

/**
 * Whether `pid` is a child of ours that nobody has reaped yet (running, or exited and waiting for
 * wait4): waitid(P_PID, WEXITED|WNOHANG|WNOWAIT) reaps nothing and answers ECHILD once it is reaped.
 */
export function isUnreapedChild(pid: number): boolean {
  const info = new Int32Array(32); // siginfo_t
  const r = Number(libc().syscall(nr(SYS_WAITID, "waitid"), P_PID, pid, addr(info), WEXITED | WNOHANG | WNOWAIT, 0, 0));
  if (r === 0) return true;
  const e = errno();
  if (e === 10 /* ECHILD */) return false;
  throw new SysError("waitid", e, undefined, `pid ${pid}`);
}
