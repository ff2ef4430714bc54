/**
 * --init: PID 1 stays a reaper (Docker injects tini for this) and the user's program runs as its child.
 * There is no fork in Bun, so the child is init itself again (hidden mode `__init`, payload "child"),
 * spawned *before* pivot_root, while the binary is still reachable: pivot_root then moves the child's root
 * along with PID 1's (it does so for every process whose root was the old one). The child waits until
 * PID 1 has built the container, takes the pty if there is one (pidfd_getfd from PID 1), and finishes
 * like a plain init: cwd, user, caps, seccomp, execve. PID 1 relays the child's outcome to the engine,
 * then forwards signals to it, reaps orphans, and exits with its status (128+signal when killed).
 */
import { readSync, writeSync } from "node:fs";
import type { Subprocess } from "bun";
import { O_CLOEXEC } from "../../sys/constants.ts";
import { SIGNALS } from "../../sys/constants.ts";
import { peekExitedChild, wait4, WNOHANG } from "../../sys/extra.ts";
import type { InitMessage } from "../channel.ts";
import { LaunchError } from "../errors.ts";
import type { ProcessSpec } from "../spec.ts";
import { INIT_ENV, selfCommand } from "../spawn.ts";
import type { InitContext } from "./context.ts";

export interface ReaperChild {
  sub: Subprocess;
  /** PID 1's ends of the child's message and go pipes */
  msgFd: number;
  goFd: number;
}

export function spawnChild(ctx: InitContext, proc: ProcessSpec): ReaperChild {
  const [payR, payW] = ctx.sys.pipe2(O_CLOEXEC);
  const [msgR, msgW] = ctx.sys.pipe2(O_CLOEXEC);
  const [goR, goW] = ctx.sys.pipe2(O_CLOEXEC);
  try {
    writeAll(payW, `${JSON.stringify({ mode: "child", process: proc })}`);
    ctx.sys.close(payW);
    const sub = Bun.spawn({
      cmd: selfCommand("__init"),
      env: INIT_ENV,
      cwd: "/",
      stdio: ["inherit", "inherit", "inherit", payR, msgW, goR] as never,
    });
    return { sub, msgFd: msgR, goFd: goW };
  } finally {
    for (const fd of [payR, msgW, goR]) ctx.sys.close(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const b = Buffer.from(text);
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
}

/** Messages from the child, read synchronously (PID 1 is still mid-setup). */
class ChildReader {
  #buf = "";
  constructor(private fd: number) {}
  next(): InitMessage | null {
    const chunk = Buffer.alloc(4096);
    for (;;) {
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return JSON.parse(line) as InitMessage;
      }
      let n: number;
      try {
        n = readSync(this.fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EINTR" || (e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        throw e;
      }
      if (n === 0) return null;
      this.#buf += chunk.subarray(0, n).toString("utf8");
    }
  }
}

const readers = new WeakMap<ReaperChild, ChildReader>();
const reader = (c: ReaperChild): ChildReader => {
  let r = readers.get(c);
  if (!r) readers.set(c, (r = new ChildReader(c.msgFd)));
  return r;
};

function fail(m: InitMessage | null, what: string): never {
  if (m?.t === "error") throw new LaunchError(m.stage, m.msg, { exitCode: m.exitCode, errno: m.errno });
  throw new LaunchError("reaper", `the container's process ${what}`);
}

/** Before pivot_root: the child has loaded all its code (nothing left to read from the host). */
export function waitChildLoaded(c: ReaperChild): void {
  const m = reader(c).next();
  if (m?.t !== "created") fail(m, "exited before it was ready");
}

/** Let the child go on (with the pty slave PID 1 opened, if any) and wait until it has exec'd. */
export function releaseChild(ctx: InitContext, c: ReaperChild, slave: number | null): void {
  writeAll(c.goFd, `${JSON.stringify({ slave })}\n`);
  const m = reader(c).next();
  if (m?.t !== "exec") fail(m, "failed to start");
  const after = reader(c).next(); // EOF when execve closed the pipe; an error if execve failed
  if (after !== null) fail(after, "failed to start");
  if (slave !== null) ctx.sys.close(slave);
  ctx.sys.close(c.msgFd);
  ctx.sys.close(c.goFd);
}

const FORWARDED = [
  "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGALRM", "SIGCONT", "SIGWINCH", "SIGTSTP",
  "SIGTTIN", "SIGTTOU",
] as const;

/** PID 1 from here on: forward signals, reap orphans, exit with the child's status. */
export async function reapUntilExit(ctx: InitContext, c: ReaperChild): Promise<never> {
  const pid = c.sub.pid;
  // what `ps` shows for PID 1 (Docker's shows docker-init)
  ctx.sys.prctlSetName("bunker-init");
  for (const s of FORWARDED) {
    process.on(s, () => {
      try {
        ctx.sys.kill(pid, SIGNALS[s]!);
      } catch {}
    });
  }
  // orphans re-parented to PID 1; the direct child is left to Bun (its exit status resolves `exited`)
  process.on("SIGCHLD", () => {
    for (;;) {
      const p = peekExitedChild();
      if (p <= 0 || p === pid) return;
      try {
        wait4(p, WNOHANG);
      } catch {
        return;
      }
    }
  });
  const code = await c.sub.exited;
  const sig = c.sub.signalCode ? SIGNALS[c.sub.signalCode] : undefined;
  process.exit(sig !== undefined ? 128 + sig : code ?? 0);
}
