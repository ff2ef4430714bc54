/**
 * The CLI's side: start `bunker __supervise <id>` in its own session and wait for its one-line report
 * (the container started, or why not). The CLI can exit right after; the supervisor lives on.
 */
import type { Handshake } from "./detach.ts";
import { selfCommand } from "../spawn.ts";

/**
 * A supervisor idles for the container's whole life and runs little JS: without the concurrent JIT and
 * GC helper threads it holds 3 threads fewer and ~0.35 MiB less private memory (measured 4.50 -> 4.15
 * MiB, smaps_rollup). mimalloc gives freed pages back at once instead of after a delay. The container
 * never sees these: init gets its own environment and execve gets the spec's. They carry over into the
 * supervisor's idle mode (engine/containers/idle.ts), where they are worth 0.08 and 0.03 MiB.
 */
const SUPERVISOR_JSC_ENV: Record<string, string> = {
  BUN_JSC_useConcurrentJIT: "0",
  BUN_JSC_useConcurrentGC: "0",
  BUN_JSC_numberOfGCMarkers: "1",
  MIMALLOC_PURGE_DELAY: "0",
};

export async function spawnSupervisor(id: string, extraArgs: string[] = []): Promise<Handshake> {
  const proc = Bun.spawn([...selfCommand("__supervise"), id, ...extraArgs], {
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: process.env.BUNKER_SUPERVISOR_DEBUG ? "inherit" : "ignore",
    env: { ...process.env, ...SUPERVISOR_JSC_ENV },
  });
  let text = "";
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.includes("\n")) break;
  }
  reader.releaseLock();
  proc.stdout.cancel().catch(() => {});
  proc.unref();
  const line = text.split("\n")[0]!;
  if (!line) {
    const code = await Promise.race([proc.exited, Bun.sleep(1000).then(() => null)]);
    return { ok: false, exitCode: 125, message: `supervisor exited before the container started (status ${code ?? "unknown"})` };
  }
  return JSON.parse(line) as Handshake;
}
