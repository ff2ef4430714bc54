/**
 * Why a container process could not be started. `exitCode` follows Docker: 125 for an engine error,
 * 126 when the command cannot be executed (permission denied, a directory), 127 when it does not exist.
 * The message keeps runc's wording (`exec: "nope": executable file not found in $PATH`) so the CLI can
 * prefix Docker's "Error response from daemon: failed to create task for container: …".
 */
import { BunkerError } from "../errors.ts";

export type InitStage =
  | "payload" | "namespaces" | "hold" | "rootfs" | "mounts" | "pivot" | "devices" | "terminal" | "hostname"
  | "sysctl" | "paths" | "rlimits" | "cwd" | "user" | "caps" | "exec-lookup" | "seccomp" | "execve"
  | "join" | "cgroup" | "spawn" | "before-exec" | "reaper";

export class LaunchError extends BunkerError {
  /** where init (or the parent) failed */
  readonly stage: InitStage;
  /** the failing call's errno, 0 when none */
  readonly errno: number;
  constructor(stage: InitStage, detail: string, opts: { exitCode?: number; errno?: number; cause?: unknown } = {}) {
    super(`unable to start container process: ${detail}`, { exitCode: opts.exitCode ?? 125, cause: opts.cause });
    this.name = "LaunchError";
    this.stage = stage;
    this.errno = opts.errno ?? 0;
  }
}
