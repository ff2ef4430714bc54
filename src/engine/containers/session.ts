/**
 * One run of a container, shared by the detached supervisor and the CLI of an attached `run`: cgroup,
 * spec, launch (PID 1 joins the cgroup before it execs), live file, output into the json log (and to the
 * caller's terminal when attached), then on exit: OOM check, cgroup removal, runtime files cleared.
 * Writing the exit into state.json is left to the caller, which knows whether a restart follows.
 */
import { closeSync, createReadStream } from "node:fs";
import { launch, type Launched } from "../../runtime/launch.ts";
import { LaunchError } from "../../runtime/errors.ts";
import { activateVolumes, releaseVolumes } from "../volumes/index.ts";
import { JsonLogWriter, type Stream } from "./logs.ts";
import { procStartTime } from "./procs.ts";
import { cgroupOf, resourcesOf } from "./resources.ts";
import { seccompFor } from "./seccomp-source.ts";
import { buildRuntimeSpec } from "./spec-builder.ts";
import { clearLive, cpaths, loadLive, loadState, updateState, writeLive } from "./store.ts";
import { trace } from "../../runtime/trace.ts";
import { normalJitPolicy } from "../../runtime/jit.ts";
import type { ContainerRecord, LiveFile, StateFile } from "./types.ts";

export interface SessionIo {
  /**
   * keep the container's stdin open (-i): a pipe we hold, the caller's own stdin when attached, or the
   * read end of a pipe the caller made (detached supervisor: its idle mode holds the write end)
   */
  stdin: "ignore" | "pipe" | "inherit" | number;
  /** copies of the output for an attached caller; the log gets everything regardless */
  onOutput?: (stream: Stream, chunk: Uint8Array) => void;
  /** -t attached: the caller's terminal size, set on the pty before the program starts */
  consoleSize?: { rows: number; cols: number };
  /**
   * Write ends of pipes the caller made for stdout/stderr (detached supervisor): the caller reads and
   * logs the output itself (its idle mode, idle.ts), so the session does not.
   */
  output?: { stdout: number; stderr: number };
  /** -t: the caller reads the pty master and closes it itself (detached supervisor, idle.ts) */
  ownPty?: boolean;
  /**
   * The caller is an attached CLI: no restart can follow this run, so nobody needs the supervisor's
   * identity on record after PID 1 is gone (see finishRun); the caller clears the live file itself.
   */
  attached?: boolean;
}

export interface Exit {
  exitCode: number;
  oomKilled: boolean;
  finishedAt: string;
  ranMs: number;
}

export interface Session {
  launched: Launched;
  /** resolves when PID 1 is gone, its output drained and its cgroup removed */
  finished: Promise<Exit>;
}

let ownStart: number | undefined;
export const selfStart = () => (ownStart ??= procStartTime(process.pid) ?? 0);

export async function startSession(rec: ContainerRecord, io: SessionIo): Promise<Session> {
  const id = rec.Id;
  trace("session");
  const cg = await cgroupOf(id);
  // volumes backed by a mount of their own (-o type/device) are mounted on first use
  if (rec.Mounts.length) activateVolumes(rec.Mounts, id);
  let launched: Launched;
  let startedAt = 0;
  // what this start overwrote, to put back if init never execs
  const prior: { state?: StateFile; live?: LiveFile | null } = {};
  try {
    const spec = buildRuntimeSpec(rec, seccompFor);
    if (io.consoleSize && spec.process.terminal) spec.process.consoleSize = io.consoleSize;
    if (cg.version === 2) spec.cgroupV2Dir = cg.paths.unified;
    trace("spec built");
    launched = await launch(spec, {
      io: { stdin: io.stdin, stdout: io.output?.stdout ?? "pipe", stderr: io.output?.stderr ?? "pipe" },
      // once init has its payload: the cgroup is made and joined while init builds the mounts; the
      // first move can wait for an RCU grace period (cgroups/warm.ts). Init waits for it before its
      // cgroup namespace and execve.
      // PID 1 goes on record here too, before init is let go to execve: from then on it may run the
      // user's program, and a kill -9 of this process after that moment must leave a container that
      // reads as running with that PID 1 (and as exited once it is gone), never a "created" one whose
      // process nobody knows of. Written while init still builds its mounts, these writes cost the
      // start nothing.
      onSpawn: async (pid: number) => {
        cg.create(resourcesOf(rec.HostConfig));
        trace("cgroup created");
        cg.addProcess(pid);
        prior.state = loadState(id);
        prior.live = loadLive(id);
        startedAt = Date.now();
        writeLive(id, { Pid: pid, PidStart: procStartTime(pid) ?? 0, SupervisorPid: process.pid, SupervisorStart: selfStart() });
        updateState(id, (s) => {
          s.Status = "running";
          s.StartedAt = new Date(startedAt).toISOString();
          s.ExitCode = 0;
          s.Error = "";
          s.OOMKilled = false;
        });
      },
    });
  } catch (err) {
    // init never got to (or failed at) execve: the container is as it was before this start (Docker
    // keeps a container whose first start failed "created"); recordStartError adds the error
    const was = prior.state;
    if (was) {
      updateState(id, (s) => {
        if (s.Status !== "running") return;
        s.Status = was.Status;
        s.StartedAt = was.StartedAt;
        s.ExitCode = was.ExitCode;
        s.Error = was.Error;
        s.OOMKilled = was.OOMKilled;
      });
      if (prior.live) writeLive(id, prior.live);
      else clearLive(id);
    }
    await cg.destroy().catch(() => {});
    if (rec.Mounts.length) releaseVolumes(rec.Mounts, id);
    throw err;
  }
  trace("launched");
  // from here on this process copies the container's output: worth compiling (runtime/jit.ts)
  normalJitPolicy();

  const log = new JsonLogWriter(cpaths.log(id), rec.Bunker.LogMaxSize, rec.Bunker.LogMaxFiles);
  const pumps = [pump(launched.stdout, "stdout", log, io), pump(launched.stderr, "stderr", log, io)];
  if (launched.ptyMaster !== undefined && !io.ownPty) pumps.push(pump(fdStream(launched.ptyMaster), "stdout", log, io));

  const finished = (async (): Promise<Exit> => {
    const r = await launched.wait();
    trace("exited");
    await Promise.allSettled(pumps);
    log.close();
    if (launched.ptyMaster !== undefined && !io.ownPty) {
      try {
        closeSync(launched.ptyMaster);
      } catch {}
    }
    return finishRun(rec, r.exitCode ?? (r.signal ? 128 + r.signal : 255), startedAt, cg, !io.attached);
  })();
  return { launched, finished };
}

/**
 * The end of a run once PID 1 is gone and its output drained: OOM check, cgroup and volumes released.
 * Also called by a supervisor that re-exec'd itself during the run (supervise.ts), hence the lookup.
 */
export async function finishRun(
  rec: ContainerRecord,
  exitCode: number,
  startedAt: number,
  cgroup?: Awaited<ReturnType<typeof cgroupOf>>,
  mayRestart = true,
): Promise<Exit> {
  const id = rec.Id;
  const cg = cgroup ?? (await cgroupOf(id));
  let oomKilled = false;
  try {
    oomKilled = cg.oomKilled();
  } catch {}
  await cg.destroy().catch(() => {});
  if (rec.Mounts.length) releaseVolumes(rec.Mounts, id);
  trace("cgroup destroyed");
  // PID 1 is gone but its supervisor may restart it: keep the supervisor's identity on record so
  // nobody takes a back-off pause for a crash (the supervisor clears the file when it ends)
  if (mayRestart) writeLive(id, { Pid: 0, PidStart: 0, SupervisorPid: process.pid, SupervisorStart: selfStart() });
  return { exitCode, oomKilled, finishedAt: new Date().toISOString(), ranMs: Date.now() - startedAt };
}

type Source = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null | undefined;

/**
 * Chunks read from a raw fd (the pty master). Bun.file(fd).stream() uses pread, which a tty refuses
 * (ESPIPE); node's fd stream uses read(2). EIO once the last slave closes is the normal end. The fd
 * stays open: its owner closes it.
 */
export function fdStream(fd: number): AsyncIterable<Uint8Array> {
  return createReadStream("", { fd, autoClose: false, highWaterMark: 16384 });
}

async function pump(src: Source, stream: Stream, log: JsonLogWriter, io: SessionIo): Promise<void> {
  if (!src) return;
  try {
    for await (const chunk of src as unknown as AsyncIterable<Uint8Array>) {
      log.write(stream, chunk);
      io.onOutput?.(stream, chunk);
    }
  } catch {
    // EIO on a pty master when the last slave closes: the normal end of a tty container's output
  }
}

/** state.json after a failed start: Docker keeps the container "created" with the error and exit code */
export function recordStartError(id: string, err: unknown): void {
  // Docker's daemon: 127 not found, 126 cannot be executed, any other failed start 128 (the CLI's own
  // exit code for it is 125; State.ExitCode is what the daemon recorded)
  const code = err instanceof LaunchError && (err.exitCode === 126 || err.exitCode === 127) ? err.exitCode : 128;
  const msg = err instanceof Error ? err.message : String(err);
  updateState(id, (s) => {
    s.Error = msg;
    s.ExitCode = code;
    if (s.Status === "running" || s.Status === "restarting") s.Status = "exited";
  });
}
