/**
 * Attaching to a detached container (`attach`, `start -a -i`): output comes from its json log
 * (followed), input goes through a FIFO in its run dir that its supervisor reads. One FIFO carries
 * framed messages (attach-frames.ts), so an end-of-input can never overtake the data sent before it. A
 * FIFO rather than a socket server: the supervisor pays nothing while nobody is attached, its idle mode
 * (idle.ts) can serve it without node:fs, and the FIFO goes away with the run dir.
 *
 * The window size of a -t container is set by the client itself, on the pty master it copies out of
 * the supervisor (pidfd_getfd): TIOCSWINSZ needs ffi, which the idle mode does not load. The "r" frame
 * remains for when that copy is refused.
 */
import { closeSync, constants, createReadStream, openSync, readdirSync, readlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AT_FDCWD, S_IFIFO } from "../../sys/constants.ts";
import { pidfdGetfd } from "../../sys/extra.ts";
import { linuxSys } from "../../sys/linux.ts";
import { rawOutput, setWinsize } from "../../sys/pty.ts";
import { frame, FrameReader, type FrameType } from "./attach-frames.ts";
import { isAlive } from "./procs.ts";
import { cpaths, loadLive } from "./store.ts";

export const fifoPath = (id: string) => join(cpaths.runDir(id), "attach");

/**
 * The supervisor's end of the FIFO, made if missing. O_RDWR: opening never blocks and the FIFO never
 * reads EOF when an attached client leaves. Close-on-exec like every fd we open; a hand-over to the
 * idle mode keeps it explicitly.
 */
export function openFifo(id: string): number {
  const path = fifoPath(id);
  try {
    linuxSys().mknodat(AT_FDCWD, path, S_IFIFO | 0o600, 0);
  } catch {
    // already there from the previous run of this supervisor
  }
  return openSync(path, "r+");
}

/** where a run's input goes: the pty master (-t), or a sink for its stdin pipe (-i) */
export interface AttachTarget {
  pty?: number;
  stdin?: { write(b: Uint8Array): unknown; end(): unknown };
}

/** supervisor side (full mode): serve the FIFO for one run of the container (closed when it stops) */
export function serveAttach(id: string, target: AttachTarget, fd = openFifo(id)): () => void {
  const s = createReadStream("", { fd, highWaterMark: 16384 });
  s.on("error", () => {});
  const frames = new FrameReader((type, payload) => handle(target, type, payload));
  s.on("data", (chunk) => frames.push(chunk as Buffer));
  return () => s.destroy();
}

function handle(t: AttachTarget, type: string, payload: Buffer): void {
  try {
    if (type === "d") {
      if (t.pty !== undefined) writeSync(t.pty, payload);
      else t.stdin?.write(payload);
    } else if (type === "r" && t.pty !== undefined) {
      const [rows, cols] = payload.toString().split(" ").map(Number);
      setWinsize(t.pty, rows!, cols!);
    } else if (type === "e") void t.stdin?.end();
  } catch {}
}

/**
 * Sets a -t container's window size from the client: the supervisor's pty master (the one fd it holds
 * on a ptmx) copied with pidfd_getfd, TIOCSWINSZ on the copy. False when that cannot be done.
 */
export function resizeTty(id: string, rows: number, cols: number): boolean {
  const live = loadLive(id);
  if (!live || !isAlive(live.SupervisorPid, live.SupervisorStart)) return false;
  const sys = linuxSys();
  let pidfd = -1;
  try {
    const master = readdirSync(`/proc/${live.SupervisorPid}/fd`).find((fd) => {
      try {
        return readlinkSync(`/proc/${live.SupervisorPid}/fd/${fd}`).endsWith("ptmx");
      } catch {
        return false;
      }
    });
    if (master === undefined) return false;
    pidfd = sys.pidfdOpen(live.SupervisorPid);
    // the pid may have been reused between the check and the open: the pidfd pins what we checked
    if (!isAlive(live.SupervisorPid, live.SupervisorStart)) return false;
    const fd = pidfdGetfd(pidfd, Number(master));
    try {
      setWinsize(fd, rows, cols);
    } finally {
      sys.close(fd);
    }
    return true;
  } catch {
    return false;
  } finally {
    if (pidfd >= 0) sys.close(pidfd);
  }
}

/** Docker's default detach sequence: ctrl-p, ctrl-q */
export const DEFAULT_DETACH_KEYS = [16, 17];

/**
 * Docker's --detach-keys syntax (moby/term ToBytes): comma-separated keys, each a single character,
 * "ctrl-X" (X one of @ a-z [ \ ] ^ _, lower case) or "DEL". Null when a key is not valid.
 */
export function parseDetachKeys(spec: string): number[] | null {
  const ctrl = "@abcdefghijklmnopqrstuvwxyz[\\]^_";
  const out: number[] = [];
  for (const key of spec.split(",")) {
    const code = key.length === 1 ? key.charCodeAt(0) : key === "DEL" ? 127 : key.startsWith("ctrl-") && key.length === 6 ? ctrl.indexOf(key[5]!) : -1;
    if (code < 0) return null;
    out.push(code);
  }
  return out;
}

/**
 * Holds back bytes that may start the detach sequence; returns what is to be sent on, or null once the
 * whole sequence was typed (its bytes are never sent, as with Docker's escape proxy).
 */
export function escapeFilter(keys: number[]): (chunk: Uint8Array) => Uint8Array | null {
  let held = 0;
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === keys[held]) {
        if (++held === keys.length) return null;
        continue;
      }
      // a broken sequence: what was held goes on after all, and this byte may start a new one
      for (let i = 0; i < held; i++) out.push(keys[i]!);
      held = 0;
      if (b === keys[0]) held = 1;
      else out.push(b);
    }
    return Uint8Array.from(out);
  };
}

export interface InputOptions {
  /** our stdin's EOF closes the container's stdin (start -a -i); `attach` leaves it open, as Docker */
  closeOnEof?: boolean;
  /** with a tty: the sequence that detaches (its bytes are not sent), and what to do then */
  detach?: { keys: number[]; onDetach: () => void };
}

/**
 * Our window size on a -t container's pty, now and on every SIGWINCH; `fallback` gets the sizes that
 * could not be set directly. Returns the undo.
 */
export function followWindowSize(id: string, fallback?: (rows: number, cols: number) => void): () => void {
  const resize = () => {
    const { rows, columns: cols } = process.stdout;
    if (rows && cols && !resizeTty(id, rows, cols)) fallback?.(rows, cols);
  };
  resize();
  process.on("SIGWINCH", resize);
  return () => void process.off("SIGWINCH", resize);
}

/**
 * The FIFO opened for writing, or null. A plain open would block for as long as nobody reads it (the
 * container just ended, or its supervisor is between two process images): probed without blocking,
 * retried for a second.
 */
function openForWrite(path: string): number | null {
  for (let tries = 0; tries < 50; tries++) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      // a reader is there: the blocking open (whose writes wait for room rather than fail) returns at once
      return openSync(path, constants.O_WRONLY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENXIO") return null;
      Bun.sleepSync(20);
    }
  }
  return null;
}

/** client side: copy our stdin (raw when a tty) and window size into the container's FIFO */
export function attachInput(id: string, tty: boolean, o: InputOptions = { closeOnEof: true }): () => void {
  const fd = openForWrite(fifoPath(id));
  if (fd === null) return () => {};
  // frames are written whole (writes up to PIPE_BUF are atomic; larger ones come from one writer)
  const send = (type: FrameType, data: Uint8Array | string) => {
    try {
      writeSync(fd, frame(type, data));
    } catch {}
  };
  const stdin = process.stdin;
  const raw = tty && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const restoreOutput = raw && process.stdout.isTTY ? rawOutput(1) : () => {};
  const stopResizing = tty ? followWindowSize(id, (rows, cols) => send("r", `${rows} ${cols}`)) : () => {};
  const detach = o.detach && raw ? o.detach : undefined;
  const filter = detach ? escapeFilter(detach.keys) : null;
  const onData = (c: Buffer) => {
    const data = filter ? filter(c) : c;
    if (data === null) return detach!.onDetach();
    if (data.length) send("d", data);
  };
  const onEnd = () => send("e", "");
  stdin.on("data", onData);
  if (o.closeOnEof) stdin.on("end", onEnd);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
    restoreOutput();
    if (raw) stdin.setRawMode(false);
    stopResizing();
    try {
      closeSync(fd);
    } catch {}
  };
}
