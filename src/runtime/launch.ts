/**
 * One container process, from the parent's side: `launch` (a new container: init is PID 1 of a new pid
 * namespace and builds everything) and `execIn` (a process joining a running container). Both spawn the
 * binary in hidden mode `__init`, send it a payload on fd 3, follow its messages on fd 4 and release it
 * on fd 5 (see channel.ts), and resolve once the user's program has been exec'd.
 */
import { writeSync } from "node:fs";
import type { FileSink } from "bun";
import { AT_FDCWD, O_CLOEXEC, O_RDONLY, SIGNALS } from "../sys/constants.ts";
import { pidfdGetfd } from "../sys/extra.ts";
import { linuxSys } from "../sys/linux.ts";
import { ParentChannel, type InitPayload } from "./channel.ts";
import { LaunchError } from "./errors.ts";
import { readStartTime } from "./proc.ts";
import type { ProcessSpec, RuntimeSpec } from "./spec.ts";
import { spawnInit, type StdioKind } from "./spawn.ts";
import { trace } from "./trace.ts";

export { LaunchError } from "./errors.ts";

export interface ExitStatus {
  /** the program's exit code, or 128+signal when a signal killed it */
  exitCode: number;
  signal?: number;
}

export interface Launched {
  /** host pid of the process (PID 1 of the container for launch) */
  pid: number;
  /** /proc/<pid>/stat field 22: with pid, names the process even after the pid is recycled */
  startTime: number;
  wait(): Promise<ExitStatus>;
  stdin?: FileSink;
  stdout?: ReadableStream<Uint8Array>;
  stderr?: ReadableStream<Uint8Array>;
  /** with process.terminal: the pty master (the caller owns and closes it) */
  ptyMaster?: number;
}

export interface LaunchOptions {
  io: { stdin: StdioKind; stdout: StdioKind; stderr: StdioKind };
  /**
   * Runs once init exists in its namespaces but before it builds the rootfs and execs: the engine puts
   * the pid in its cgroup (before the cgroup namespace is made) and sets up networking here.
   * launch() only: execIn joins the cgroup itself (cgroupProcsFile).
   */
  beforeExec?: (pid: number) => Promise<void>;
  /**
   * Like beforeExec (init is held before its cgroup namespace and execve), but runs as soon as init has
   * its payload, while init is still starting up and building its mounts: for work that needs the pid
   * but not init's namespaces, such as making and joining the cgroup. On cgroup v1 the first write to
   * cgroup.procs can wait for an RCU grace period (6-16 ms here); overlapped with init's own work it is
   * off the critical path. launch() only.
   */
  onSpawn?: (pid: number) => Promise<void>;
}

export function launch(spec: RuntimeSpec, opts: LaunchOptions): Promise<Launched> {
  if (spec.process.args.length === 0) {
    return Promise.reject(new LaunchError("payload", "no command specified", { exitCode: 125 }));
  }
  const hold = opts.beforeExec !== undefined || opts.onSpawn !== undefined;
  // without a pid namespace (--pid host) init is an ordinary child and the program is not PID 1
  return start({ mode: "run", spec, hold }, spec.process, spec.namespaces.pid ? "new" : "host", opts);
}

export async function execIn(
  target: { pid: number; startTime: number },
  proc: ProcessSpec,
  opts: LaunchOptions & { cgroupProcsFile?: string | string[] },
): Promise<Launched> {
  const sys = linuxSys();
  if (proc.args.length === 0) throw new LaunchError("payload", "no command specified", { exitCode: 125 });
  const files = opts.cgroupProcsFile === undefined ? [] : [opts.cgroupProcsFile].flat();
  let nsFd: number;
  try {
    nsFd = sys.openat(AT_FDCWD, `/proc/${target.pid}/ns/pid`, O_RDONLY | O_CLOEXEC);
  } catch (e) {
    throw new LaunchError("join", "container is not running", { exitCode: 126, cause: e });
  }
  try {
    // the fd pins the namespace; the start time proves the pid was still our container when opened
    if (readStartTime(target.pid) !== target.startTime) throw new LaunchError("join", "container is not running", { exitCode: 126 });
    return await start({ mode: "exec", target, process: proc, cgroupProcsFiles: files }, proc, nsFd, opts);
  } finally {
    sys.close(nsFd);
  }
}

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off);
}

type InitChild = ReturnType<typeof spawnInit>;

/** init just spawned, with the parent's ends of its three pipes (see channel.ts) */
interface SpawnedInit {
  child: InitChild;
  payW: number;
  msgR: number;
  goW: number;
  /** the parent's fds still open (closed when the launch ends, whatever happened) */
  fds: number[];
}

function spawnWithPipes(pidns: "new" | "host" | number, stdio: [StdioKind, StdioKind, StdioKind]): SpawnedInit {
  const sys = linuxSys();
  const fds: number[] = [];
  const pipe = (): [number, number] => {
    const p = sys.pipe2(O_CLOEXEC);
    fds.push(...p);
    return p;
  };
  try {
    const [payR, payW] = pipe();
    const [msgR, msgW] = pipe();
    const [goR, goW] = pipe();
    let child: InitChild;
    try {
      child = spawnInit(sys, { pidns, stdio, fds: [payR, msgW, goR] });
    } catch (e) {
      throw new LaunchError("spawn", `spawn init: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    trace("spawned");
    // init's ends live on in init only
    for (const fd of [payR, msgW, goR]) sys.close(fd);
    return { child, payW, msgR, goW, fds: [payW, msgR, goW] };
  } catch (e) {
    for (const fd of fds) {
      try {
        sys.close(fd);
      } catch {}
    }
    throw e;
  }
}

/**
 * An init spawned ahead of time (prepareInit), waiting on its payload pipe: Bun's start-up in init
 * (~7 ms) then overlaps with the engine's own work (image lookup, container record, cgroup), instead
 * of following it. The next launch() with the same pid namespace and stdio adopts it.
 */
let prepared: { key: string; init: SpawnedInit } | null = null;

const stdioKey = (pidns: "new" | "host" | number, stdio: StdioKind[]): string => JSON.stringify([pidns, stdio]);

export function prepareInit(pidns: "new" | "host", stdio: [StdioKind, StdioKind, StdioKind]): void {
  if (prepared) return;
  try {
    prepared = { key: stdioKey(pidns, stdio), init: spawnWithPipes(pidns, stdio) };
  } catch {
    // launch() will spawn (and report) on its own
  }
}

/**
 * Ends an init prepared but never adopted: EOF on its payload pipe makes it exit quietly. Awaited so
 * that no process outlives the command.
 */
export async function discardPreparedInit(): Promise<void> {
  const p = prepared;
  prepared = null;
  if (!p) return;
  const sys = linuxSys();
  for (const fd of p.init.fds) sys.close(fd);
  await p.init.child.exited;
}

function takePrepared(pidns: "new" | "host" | number, stdio: StdioKind[]): SpawnedInit | null {
  const p = prepared;
  if (!p || p.key !== stdioKey(pidns, stdio)) return null;
  prepared = null;
  return p.init;
}

async function start(payload: InitPayload, proc: ProcessSpec, pidns: "new" | "host" | number, opts: LaunchOptions): Promise<Launched> {
  const sys = linuxSys();
  let fds: number[] = [];
  const closeFd = (fd: number): void => {
    const i = fds.indexOf(fd);
    if (i < 0) return;
    fds.splice(i, 1);
    sys.close(fd);
  };
  let child: InitChild | undefined;
  let channel: ParentChannel | undefined;
  try {
    const stdio: [StdioKind, StdioKind, StdioKind] = proc.terminal
      ? ["ignore", "ignore", "inherit"] // init puts the pty on 0/1/2 itself
      : [opts.io.stdin, opts.io.stdout, opts.io.stderr];
    const init = takePrepared(pidns, stdio) ?? spawnWithPipes(pidns, stdio);
    child = init.child;
    fds = init.fds;
    const { payW, msgR, goW } = init;
    const pid = child.pid;
    const startTime = readStartTime(pid) ?? 0;
    // larger than a pipe holds, this waits for init to read: init reads it first thing
    writeAll(payW, Buffer.from(JSON.stringify(payload)));
    closeFd(payW);
    channel = new ParentChannel(msgR);
    const go = (): void => writeAll(goW, Buffer.from("g"));
    if (payload.mode === "run" && payload.hold) {
      const toError = (e: unknown) => new LaunchError("before-exec", e instanceof Error ? e.message : String(e), { cause: e });
      // settled into a value so a failure here never goes unhandled while waitForCreated throws
      const spawned = opts.onSpawn ? opts.onSpawn(pid).then(() => null, toError) : Promise.resolve(null);
      // init's own failure (if any) is the better message; the hook's comes second
      const created = await channel.waitForCreated().then(() => null, (e: unknown) => ({ e }));
      trace("init created");
      const err = await spawned;
      trace("cgroup joined");
      if (created) throw created.e;
      if (err) throw err;
      if (opts.beforeExec) {
        try {
          await opts.beforeExec(pid);
        } catch (e) {
          throw toError(e);
        }
      }
      go();
    }
    let ptyMaster: number | undefined;
    if (proc.terminal) {
      const m = await channel.waitForPty();
      const pidfd = sys.pidfdOpen(pid);
      try {
        ptyMaster = pidfdGetfd(pidfd, m.fd);
      } finally {
        sys.close(pidfd);
      }
      go();
    }
    try {
      await channel.waitForExec();
    } catch (e) {
      if (ptyMaster !== undefined) sys.close(ptyMaster);
      throw e;
    }
    const sub = child;
    const exited = sub.exited.then((): ExitStatus => {
      const sig = sub.signalCode ? SIGNALS[sub.signalCode] : undefined;
      return sig !== undefined ? { exitCode: 128 + sig, signal: sig } : { exitCode: sub.exitCode ?? 0 };
    });
    const out: Launched = { pid, startTime, wait: () => exited };
    if (ptyMaster !== undefined) out.ptyMaster = ptyMaster;
    if (!proc.terminal && opts.io.stdin === "pipe") out.stdin = sub.stdin as FileSink;
    if (!proc.terminal && opts.io.stdout === "pipe") out.stdout = sub.stdout as ReadableStream<Uint8Array>;
    if (!proc.terminal && opts.io.stderr === "pipe") out.stderr = sub.stderr as ReadableStream<Uint8Array>;
    return out;
  } catch (e) {
    if (child) {
      // init failed on its own (it exits with the code it reported) or must not go on: reap it either way
      try {
        child.kill(9);
      } catch {}
      await child.exited;
    }
    throw e instanceof LaunchError ? e : new LaunchError("spawn", e instanceof Error ? e.message : String(e), { cause: e });
  } finally {
    channel?.cancel();
    for (const fd of [...fds]) closeFd(fd);
  }
}
