/**
 * Attaching to a detached container (`start -a -i`): output comes from its json log (followed), input
 * goes through a FIFO in its run dir that its supervisor reads. One FIFO carries framed messages
 * (1 byte type + 4 bytes length + payload: "d" data, "r" resize "ROWS COLS", "e" end of input), so an
 * end-of-input can never overtake the data sent before it. A FIFO rather than a socket server: the
 * supervisor pays nothing while nobody is attached, and the FIFO goes away with the run dir.
 */
import { closeSync, createReadStream, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AT_FDCWD, S_IFIFO } from "../../sys/constants.ts";
import { linuxSys } from "../../sys/linux.ts";
import { setWinsize } from "../../sys/pty.ts";
import type { Launched } from "../../runtime/launch.ts";
import { cpaths } from "./store.ts";

export const fifoPath = (id: string) => join(cpaths.runDir(id), "attach");

/** supervisor side: serve the FIFO for one run of the container */
export function serveAttach(id: string, launched: Launched): () => void {
  const path = fifoPath(id);
  try {
    linuxSys().mknodat(AT_FDCWD, path, S_IFIFO | 0o600, 0);
  } catch {
    // already there from the previous run of this supervisor
  }
  // O_RDWR: opening never blocks and the FIFO never reads EOF when an attached client leaves
  const s = createReadStream(path, { flags: "r+", highWaterMark: 16384 });
  s.on("error", () => {});
  let buf = Buffer.alloc(0);
  s.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk as Buffer]);
    while (buf.length >= 5) {
      const len = buf.readUInt32LE(1);
      if (buf.length < 5 + len) break;
      handle(launched, String.fromCharCode(buf[0]!), buf.subarray(5, 5 + len));
      buf = buf.subarray(5 + len);
    }
  });
  return () => s.destroy();
}

function handle(l: Launched, type: string, payload: Buffer): void {
  try {
    if (type === "d") {
      if (l.ptyMaster !== undefined) writeSync(l.ptyMaster, payload);
      else l.stdin?.write(payload);
    } else if (type === "r" && l.ptyMaster !== undefined) {
      const [rows, cols] = payload.toString().split(" ").map(Number);
      setWinsize(l.ptyMaster, rows!, cols!);
    } else if (type === "e") void l.stdin?.end();
  } catch {}
}

function frame(type: string, payload: Uint8Array | string): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeUInt32LE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** client side: copy our stdin (raw when a tty) and window size into the container's FIFO */
export function attachInput(id: string, tty: boolean): () => void {
  let fd: number;
  try {
    fd = openSync(fifoPath(id), "w");
  } catch {
    return () => {};
  }
  // frames are written whole (writes up to PIPE_BUF are atomic; larger ones come from one writer)
  const send = (type: string, data: Uint8Array | string) => {
    try {
      writeSync(fd, frame(type, data));
    } catch {}
  };
  const resize = () => {
    if (process.stdout.columns && process.stdout.rows) send("r", `${process.stdout.rows} ${process.stdout.columns}`);
  };
  const stdin = process.stdin;
  const raw = tty && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  if (tty) {
    resize();
    process.on("SIGWINCH", resize);
  }
  const onData = (c: Buffer) => send("d", c);
  const onEnd = () => send("e", "");
  stdin.on("data", onData);
  stdin.on("end", onEnd);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
    if (raw) stdin.setRawMode(false);
    process.off("SIGWINCH", resize);
    try {
      closeSync(fd);
    } catch {}
  };
}
