/**
 * -t: the pty comes from the container's own devpts instance (so `tty` prints /dev/pts/0), opened after
 * pivot_root. Init keeps the master only until the parent has duplicated it (pidfd_getfd), then makes the
 * slave its stdin/stdout/stderr and controlling terminal in a new session.
 */
import { AT_EMPTY_PATH, MS_BIND, TIOCSCTTY } from "../../sys/constants.ts";
import { openPty, setWinsize } from "../../sys/pty.ts";
import type { InitContext } from "./context.ts";

/** Open the pty, bind it on /dev/console (run only), hand the master to the parent; returns the slave fd. */
export function openTerminal(ctx: InitContext, opts: { console: boolean; uid: number; size?: { rows: number; cols: number } }): number {
  const pty = openPty(ctx.sys, { ptmx: "/dev/pts/ptmx", ptsDir: "/dev/pts" });
  try {
    // before execve: the parent's first resize only comes after, and a program asking at once saw 0x0
    if (opts.size && opts.size.rows > 0 && opts.size.cols > 0) setWinsize(pty.master, opts.size.rows, opts.size.cols, ctx.sys);
    if (opts.console) {
      ctx.fs.touch("/dev/console", 0o600);
      ctx.sys.mount(pty.slavePath, "/dev/console", null, MS_BIND, null);
    }
    // the user owns its terminal (runc does the same); the group stays tty (gid=5 from the devpts options)
    ctx.sys.fchownat(pty.slave, "", opts.uid, -1, AT_EMPTY_PATH);
    if (!ctx.link) throw new Error("no parent link to hand the pty master to");
    ctx.link.send({ t: "pty", fd: pty.master });
    if (!ctx.link.waitGo()) throw new Error("parent went away while taking the pty");
  } catch (e) {
    ctx.sys.close(pty.slave);
    throw e;
  } finally {
    ctx.sys.close(pty.master);
  }
  return pty.slave;
}

/** New session, the slave on 0/1/2 (dup3 without O_CLOEXEC), and make it the controlling terminal. */
export function attachTerminal(ctx: InitContext, slave: number): void {
  ctx.sys.setsid();
  for (const fd of [0, 1, 2]) ctx.sys.dup3(slave, fd, 0);
  if (slave > 2) ctx.sys.close(slave);
  ctx.sys.ioctl(0, TIOCSCTTY, 0);
}
