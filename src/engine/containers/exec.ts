/**
 * exec: a new process in a running container's namespaces and cgroup, with the container's
 * capabilities and seccomp program (never more: --privileged is off unless asked). The user is resolved
 * from the container's own /etc/passwd as it is now (/proc/<pid>/root). The exit code passes through.
 */
import { normalJitPolicy } from "../../runtime/jit.ts";
import { closeSync } from "node:fs";
import { BunkerError, ConflictError, DAEMON } from "../../errors.ts";
import { execIn } from "../../runtime/launch.ts";
import { capabilitySpec } from "../../runtime/caps.ts";
import { DEFAULT_CAPABILITIES } from "../../runtime/spec.ts";
import { collectEnv, mergeEnv } from "./options.ts";
import { signalIfSame } from "./procs.ts";
import { refresh } from "./refresh.ts";
import { cgroupOf } from "./resources.ts";
import { seccompFor } from "./seccomp-source.ts";
import { containerEnv, processSpec } from "./spec-builder.ts";
import { fdStream, } from "./session.ts";
import { callerConsoleSize, linkTerminal } from "./terminal.ts";
import { procRootReader, resolveUser } from "./user.ts";

export interface ExecOptions {
  cmd: string[];
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  env: string[];
  envFiles: string[];
  user?: string;
  workdir?: string;
  privileged: boolean;
}

export async function execContainer(ref: string, o: ExecOptions): Promise<number> {
  const v = await refresh(ref);
  // Docker's CLI checks this once the container is known to exist, before asking for the exec
  if (!o.detach && o.interactive && o.tty && !process.stdin.isTTY) throw new BunkerError("the input device is not a TTY");
  if (v.status === "paused") throw new ConflictError(`Error response from daemon: Container ${ref} is paused, unpause the container before exec`); // the name as given, like the daemon
  if (v.status !== "running" || !v.live || !v.running) throw new ConflictError(`Error response from daemon: Container ${v.id} is not running`);
  if (o.workdir !== undefined && o.workdir !== "" && !o.workdir.startsWith("/"))
    throw notStarted(`the working directory '${o.workdir}' is invalid, it needs to be an absolute path`, o.detach);
  const rec = v.record;
  const base = processSpec(rec, seccompFor);
  const user = o.user ? startFailure(() => resolveUser(o.user!, [], procRootReader(v.live!.Pid)), o.detach) : null;
  const uid = user ? user.uid : rec.Bunker.Uid;
  const caps = capabilitySpec(DEFAULT_CAPABILITIES, rec.HostConfig.CapAdd ?? [], rec.HostConfig.CapDrop ?? [], rec.HostConfig.Privileged || o.privileged, { uid });
  let env = mergeEnv(containerEnv(rec), collectEnv(o.envFiles, o.env));
  if (o.tty && !env.some((e) => e.startsWith("TERM="))) env = [...env, "TERM=xterm"];
  if (user && !o.env.some((e) => e.startsWith("HOME="))) env = mergeEnv(env, [`HOME=${user.home}`]);
  const proc = {
    ...base,
    args: o.cmd,
    env,
    cwd: o.workdir || rec.Config.WorkingDir || "/",
    user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : base.user,
    terminal: o.tty,
    // detached (-d) has no terminal of ours to copy: 0x0, like Docker
    ...(o.tty && !o.detach ? { consoleSize: callerConsoleSize() } : {}),
    capabilities: caps,
    seccomp: rec.Bunker.SeccompUnconfined || o.privileged ? null : base.seccomp,
    init: false,
  };
  const cg = await cgroupOf(v.id);
  const quiet = o.detach;
  const live = v.live;
  const launched = await startFailure(
    () =>
      execIn({ pid: live.Pid, startTime: live.PidStart }, proc, {
        io: { stdin: o.interactive && !quiet ? "inherit" : "ignore", stdout: quiet ? "ignore" : "inherit", stderr: quiet ? "ignore" : "inherit" },
        cgroupProcsFile: cg.procsFiles(),
      }),
    o.detach,
  );
  if (quiet) {
    if (launched.ptyMaster !== undefined) closeSync(launched.ptyMaster);
    return 0;
  }
  // this process now copies the program's terminal: worth compiling (runtime/jit.ts)
  normalJitPolicy();
  const forward = (sig: number) => () => void signalIfSame(launched.pid, launched.startTime, sig);
  const handlers: Array<[NodeJS.Signals, () => void]> = [["SIGINT", forward(2)], ["SIGTERM", forward(15)], ["SIGHUP", forward(1)]];
  for (const [s, h] of handlers) process.on(s, h);
  let copy: Promise<void> = Promise.resolve();
  const term = launched.ptyMaster !== undefined ? linkTerminal(launched.ptyMaster, o.interactive) : null;
  if (launched.ptyMaster !== undefined) copy = copyOut(fdStream(launched.ptyMaster));
  try {
    const r = await launched.wait();
    await Promise.race([copy, Bun.sleep(200)]);
    return r.exitCode;
  } finally {
    term?.restore();
    for (const [s, h] of handlers) process.off(s, h);
    if (launched.ptyMaster !== undefined) {
      try {
        closeSync(launched.ptyMaster);
      } catch {}
    }
  }
}

/**
 * Docker's exit status for an exec that could not start is 126 whatever the cause (missing command,
 * unknown user, bad cwd: the daemon sets 126 on any start error); with -d the start error is the
 * API's answer instead: exit 1.
 */
function notStarted(message: string, detach: boolean, cause?: unknown): BunkerError {
  return new BunkerError(detach ? `${DAEMON}${message}` : message, { exitCode: detach ? 1 : 126, cause });
}

function startFailure<T>(fn: () => T, detach: boolean): T {
  const wrap = (e: unknown): never => {
    if (!(e instanceof Error) || typeof (e as { exitCode?: unknown }).exitCode !== "number") throw e;
    throw notStarted(e.message, detach, e);
  };
  try {
    const r = fn();
    return (r instanceof Promise ? r.catch(wrap) : r) as T;
  } catch (e) {
    return wrap(e);
  }
}

async function copyOut(src: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const chunk of src) process.stdout.write(chunk);
  } catch {}
}
