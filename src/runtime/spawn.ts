/**
 * Starting init: the binary itself in hidden mode `__init`, with an empty environment, in the right pid
 * namespace. unshare(CLONE_NEWPID)/setns(pid) only change where this thread's *next* child goes, and
 * that stays so for every later child; so right after Bun.spawn the parent setns()es back into its own
 * pid namespace (measured: the following spawn lands in the host namespace again). All three calls are
 * synchronous, so no other JS can spawn in between.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { AT_FDCWD, CLONE_NEWPID, O_CLOEXEC, O_RDONLY } from "../sys/constants.ts";
import type { Sys } from "../sys/sys.ts";
import { traceEnv } from "./trace.ts";

export type StdioKind = "inherit" | "pipe" | "ignore" | number;

/** argv to re-run ourselves: the compiled binary directly, or bun + the CLI entry when run from source. */
export function selfCommand(mode: string): string[] {
  const compiled = import.meta.path.startsWith("/$bunfs/") || import.meta.path.startsWith("B:\\~BUN");
  return compiled ? [process.execPath, mode] : [process.execPath, resolve(import.meta.dir, "../cli/main.ts"), mode];
}

export interface SpawnInitOptions {
  /** "new": init becomes PID 1 of a new pid namespace; a number: an open /proc/<pid>/ns/pid fd to join */
  pidns: "new" | "host" | number;
  stdio: [StdioKind, StdioKind, StdioKind];
  /** become fds 3, 4, 5 in init */
  fds: [number, number, number];
}

export function spawnInit(sys: Sys, opts: SpawnInitOptions): Subprocess<"pipe" | "inherit" | "ignore", "pipe" | "inherit" | "ignore", "pipe" | "inherit" | "ignore"> {
  if (opts.pidns === "host") return spawnSelf(opts);
  const own = sys.openat(AT_FDCWD, "/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  try {
    if (opts.pidns === "new") sys.unshare(CLONE_NEWPID);
    else sys.setns(opts.pidns, CLONE_NEWPID);
    try {
      return spawnSelf(opts);
    } finally {
      // if this failed the process would put every later child in the container: fail loudly instead
      sys.setns(own, CLONE_NEWPID);
    }
  } finally {
    sys.close(own);
  }
}

function spawnSelf(opts: SpawnInitOptions): ReturnType<typeof spawnInit> {
  return Bun.spawn({
    cmd: selfCommand("__init"),
    // init runs a few ms of code: no JIT compiler thread (measured: 3 threads instead of 5 at execve,
    // ~3 ms less from spawn to exec; fewer threads to signal in set*id and to tear down in execve), and
    // no thread pre-touching GC blocks it will never fill (JSCWarmUp: ~120 fewer page faults).
    // The user's program never sees this: execve gets the spec's environment.
    env: { ...INIT_ENV, ...traceEnv() },
    cwd: "/",
    stdio: [...opts.stdio, ...opts.fds] as never,
  }) as never;
}

/** The environment init runs with (also used for --init's second process). */
export const INIT_ENV: Record<string, string> = { BUN_JSC_useConcurrentJIT: "0", BUN_JSC_useWarmUpMarkedBlocks: "0" };
