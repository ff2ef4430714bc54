/**
 * The CLI's side: start `bunker __supervise <id>` in its own session and wait for its one-line report
 * (the container started, or why not). The CLI can exit right after; the supervisor lives on.
 */
import type { Handshake } from "./detach.ts";
import { selfCommand } from "../spawn.ts";

export async function spawnSupervisor(id: string, extraArgs: string[] = []): Promise<Handshake> {
  const proc = Bun.spawn([...selfCommand("__supervise"), id, ...extraArgs], {
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: process.env.BUNKER_SUPERVISOR_DEBUG ? "inherit" : "ignore",
    env: process.env,
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
