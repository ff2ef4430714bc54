/**
 * The tail shared by run and exec: identity, capabilities, program lookup, umask, no_new_privs, seccomp,
 * execve. Each piece is its own step so a failure names it; seccomp is the last call before execve.
 */
import type { ProcessSpec } from "../spec.ts";
import { step, type InitContext } from "./context.ts";
import { closeExtraFds, execProgram, lookPath } from "./exec.ts";
import { applyCaps, applyNoNewPrivs, applySeccomp, dropBoundingSet, switchUser } from "./security.ts";
import { attachTerminal } from "./terminal.ts";
import { trace } from "../trace.ts";

export function finishProcess(ctx: InitContext, proc: ProcessSpec, slave: number | null): never {
  if (slave !== null) step("terminal", () => attachTerminal(ctx, slave));
  step("caps", () => dropBoundingSet(ctx, proc));
  step("user", () => switchUser(ctx, proc.user));
  step("caps", () => applyCaps(ctx, proc));
  // after the uid switch, so "permission denied" is the user's, and before seccomp can interfere
  const path = step("exec-lookup", () => lookPath(ctx, proc.args[0] ?? "", proc.env));
  ctx.sys.umask(proc.user.umask ?? 0o022);
  step("exec-lookup", () => closeExtraFds(ctx));
  trace("init: credentials");
  ctx.link?.send({ t: "exec" });
  step("seccomp", () => applyNoNewPrivs(ctx, proc));
  step("seccomp", () => applySeccomp(ctx, proc));
  trace("init: execve");
  return execProgram(ctx, path, proc.args, proc.env);
}
