/**
 * `--init`'s second process (payload mode "child"): spawned by PID 1 before pivot_root, it reports that
 * its code is loaded, waits for PID 1 to finish the container, takes the pty slave from PID 1 if there is
 * one, then finishes like a plain init (cwd, user, caps, seccomp, execve). See reaper.ts.
 */
import { readSync } from "node:fs";
import { pidfdGetfd } from "../../sys/extra.ts";
import { GO_FD } from "../channel.ts";
import { LaunchError } from "../errors.ts";
import type { ProcessSpec } from "../spec.ts";
import { step, type InitContext } from "./context.ts";
import { finishProcess } from "./finish.ts";
import { enterCwd } from "./process.ts";

function readGoLine(): { slave: number | null } | null {
  let line = "";
  const b = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(GO_FD, b, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EINTR" || (e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0) return null;
    if (b[0] === 10) return JSON.parse(line) as { slave: number | null };
    line += String.fromCharCode(b[0]!);
  }
}

export function runChild(ctx: InitContext, proc: ProcessSpec): never {
  ctx.link?.send({ t: "created" });
  const go = readGoLine();
  if (go === null) throw new LaunchError("reaper", "PID 1 went away before start");
  let slave: number | null = null;
  if (go.slave !== null) {
    const s = go.slave;
    slave = step("terminal", () => {
      const pidfd = ctx.sys.pidfdOpen(1);
      try {
        return pidfdGetfd(pidfd, s);
      } finally {
        ctx.sys.close(pidfd);
      }
    });
  }
  step("cwd", () => enterCwd(ctx, proc.cwd));
  return finishProcess(ctx, proc, slave);
}
