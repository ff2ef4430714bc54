/**
 * Starting a container: detached (a supervisor process per container, started here, reports back
 * once PID 1 runs) or attached (`run` without -d: this process is the supervisor, no extra process,
 * output to our terminal and the log, signals forwarded, exit code returned).
 */
import { writeSync } from "node:fs";
import { BunkerError, ConflictError } from "../../errors.ts";
import { spawnSupervisor } from "../../runtime/supervisor/spawn.ts";
import { deviceNodesOf } from "./devices.ts";
import { fileSize } from "./logs.ts";
import { signalIfSame } from "./procs.ts";
import { refresh } from "./refresh.ts";
import { recordStartError, startSession } from "./session.ts";
import type { ContainerView } from "./status.ts";
import { clearLive, cpaths, loadRecord, updateState } from "./store.ts";
import { callerConsoleSize, linkTerminal, type TerminalLink } from "./terminal.ts";
import { can } from "./types.ts";

/** runc's wording wrapped the way Docker's daemon reports a failed start */
export function startFailure(message: string, exitCode: number): BunkerError {
  return new BunkerError(`Error response from daemon: failed to create task for container: ${message}`, { exitCode });
}

async function guardStart(ref: string): Promise<ContainerView | null> {
  const v = await refresh(ref);
  if (v.status === "running" || v.status === "restarting") return null;
  if (v.status === "paused") throw new ConflictError(`Error response from daemon: cannot start a paused container, try unpause instead`);
  if (!can.start(v.status)) throw new ConflictError(`Error response from daemon: container ${v.id} is ${v.status}`);
  updateState(v.id, (s) => void ((s.ManuallyStopped = false), (s.Error = "")));
  checkDevices(v.id);
  return v;
}

/**
 * Docker's daemon looks up --device nodes while it builds the spec, before any runtime is asked, so
 * its words come without the runtime's "failed to create task" wrapping (State.Error records them).
 */
function checkDevices(id: string): void {
  const hc = loadRecord(id)?.HostConfig;
  if (!hc?.Devices?.length) return;
  try {
    deviceNodesOf(hc);
  } catch (err) {
    recordStartError(id, err);
    throw new BunkerError(`Error response from daemon: ${(err as Error).message}`, { exitCode: 125 });
  }
}

/** detached start; returns the container id (a running container is left alone, like Docker) */
export async function startDetached(ref: string): Promise<string> {
  const v = await guardStart(ref);
  if (!v) return (await refresh(ref)).id;
  const r = await spawnSupervisor(v.id);
  if (!r.ok) throw startFailure(r.message, r.exitCode);
  return v.id;
}

export interface AttachOptions {
  interactive: boolean;
  tty: boolean;
  /** forward SIGINT/SIGTERM/SIGHUP to the container (--sig-proxy, default true) */
  sigProxy: boolean;
  /** the caller removes the container once this returns (run --rm): its exit need not be recorded */
  removeAfter?: boolean;
}

/** attached run: returns the container's exit code */
export async function runAttached(id: string, o: AttachOptions): Promise<number> {
  const v = await guardStart(id);
  if (!v) throw new ConflictError(`Error response from daemon: container ${id} is already running`);
  const rec = loadRecord(id)!;
  // with a restart policy the container must outlive this CLI: a supervisor runs it, we follow its log
  if (rec.HostConfig.RestartPolicy.Name !== "no" && rec.HostConfig.RestartPolicy.Name !== "") {
    return followDetached(id, o.interactive);
  }
  let session;
  try {
    session = await startSession(rec, {
      stdin: o.interactive && !o.tty ? "inherit" : "ignore",
      attached: true,
      onOutput: (stream, chunk) => writeAll(stream === "stderr" ? 2 : 1, chunk),
      ...(o.tty ? { consoleSize: callerConsoleSize() } : {}),
    });
  } catch (err) {
    recordStartError(id, err);
    const code = (err as { exitCode?: number }).exitCode ?? 125;
    throw startFailure(err instanceof Error ? err.message : String(err), code);
  }
  const { launched } = session;
  let term: TerminalLink | undefined;
  if (launched.ptyMaster !== undefined) term = linkTerminal(launched.ptyMaster, o.interactive);
  const forward = (sig: number) => () => void signalIfSame(launched.pid, launched.startTime, sig);
  const handlers: Array<[NodeJS.Signals, () => void]> = o.sigProxy
    ? [["SIGINT", forward(2)], ["SIGTERM", forward(15)], ["SIGHUP", forward(1)], ["SIGQUIT", forward(3)], ["SIGUSR1", forward(10)], ["SIGUSR2", forward(12)]]
    : [];
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const exit = await session.finished;
    // run --rm: the record (live file included) goes right after; a crash before that reads as exited
    // all the same (refresh.ts: neither PID 1 nor this process alive)
    if (!o.removeAfter) {
      clearLive(id);
      updateState(id, (s) => {
        s.Status = "exited";
        s.ExitCode = exit.exitCode;
        s.FinishedAt = exit.finishedAt;
        s.OOMKilled = exit.oomKilled;
      });
    }
    return exit.exitCode;
  } finally {
    term?.restore();
    for (const [s, h] of handlers) process.off(s, h);
  }
}

/**
 * `start -a [-i]`: starts through a supervisor (unless running) and joins our terminal to it as
 * `attach` does (detach keys, signals), from the log's end before the start so no output is missed.
 * Returns the exit code.
 */
export async function followDetached(id: string, input = false, detachKeys?: string): Promise<number> {
  const client = await import("./attach-client.ts");
  const keys = client.detachKeys(detachKeys);
  const from = fileSize(cpaths.log(id));
  const v = await guardStart(id);
  if (v) {
    const r = await spawnSupervisor(id);
    if (!r.ok) throw startFailure(r.message, r.exitCode);
  }
  const rec = loadRecord(id);
  const tty = rec?.Config.Tty ?? false;
  return client.streamContainer(id, tty, { from, stdin: input && !!rec?.Config.OpenStdin, closeOnEof: true, sigProxy: true, keys });
}

export function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      off += writeSync(fd, chunk, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      return; // our stdout went away (closed pipe): the container keeps running, its log keeps everything
    }
  }
}
