/**
 * `exec`: init was spawned inside the container's pid namespace by the parent; it checks the target is
 * still the process it was told about, joins its cgroup (host paths, so before the mount namespace) and
 * its namespaces, then finishes like run: terminal, cwd, user/caps, lookup, seccomp, execve.
 */
import type { ProcessSpec } from "../spec.ts";
import { LaunchError } from "../errors.ts";
import { readStartTime } from "../proc.ts";
import { step, type InitContext } from "./context.ts";
import { finishProcess } from "./finish.ts";
import { joinNamespaces, openTargetNamespaces } from "./namespaces.ts";
import { applyRlimits, enterCwd } from "./process.ts";
import { openTerminal } from "./terminal.ts";

export interface JoinTarget {
  pid: number;
  startTime: number;
}

export function execInContainer(ctx: InitContext, target: JoinTarget, proc: ProcessSpec, cgroupProcsFiles: string[]): never {
  const fds = step("join", () => {
    if (readStartTime(target.pid, ctx.fs) !== target.startTime) throw new LaunchError("join", "container is not running", { exitCode: 126 });
    return openTargetNamespaces(ctx, target.pid);
  });
  // "0" moves the writer itself (all of its threads) on v1 and v2
  step("cgroup", () => {
    for (const f of cgroupProcsFiles) ctx.fs.writeFile(f, "0");
  });
  step("join", () => joinNamespaces(ctx, fds));
  const slave = proc.terminal ? step("terminal", () => openTerminal(ctx, { console: false, uid: proc.user.uid, size: proc.consoleSize })) : null;
  step("rlimits", () => applyRlimits(ctx, proc));
  step("cwd", () => enterCwd(ctx, proc.cwd));
  return finishProcess(ctx, proc, slave);
}
