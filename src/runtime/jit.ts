/**
 * The executable starts with JavaScriptCore's tier-up thresholds scaled up (scripts/build,
 * --compile-jit-policy): a command that lives for a few ms then spends its CPU running its run-once
 * code in the interpreter instead of compiling it on a JIT thread (measured on `run --rm IMG true`,
 * interleaved medians: 46 -> 41 ms of CPU for the CLI, init and the program together). Work that loops
 * over data (pull, push, commit, logs, an attached container's output) gets the normal policy back here.
 * A no-op where the API is missing (older Bun, or running from source, where the policy is normal).
 */
export function normalJitPolicy(): void {
  (Bun as unknown as { unsafe?: { setJITPolicy?: (scale: number) => void } }).unsafe?.setJITPolicy?.(1);
}
