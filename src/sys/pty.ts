/**
 * Pseudo-terminals for `run -t` / `exec -t`, through Sys so it works inside a container's mount
 * namespace and can be unit-tested with RecordingSys.
 */
import { AT_FDCWD, O_CLOEXEC, O_NOCTTY, O_RDWR, OPOST, TCGETS, TCSETS, TIOCGPTN, TIOCGWINSZ, TIOCSPTLCK, TIOCSWINSZ } from "./constants.ts";
import { linuxSys } from "./linux.ts";
import type { Sys } from "./sys.ts";

export interface Pty {
  /** the multiplexer side, kept by the supervisor */
  master: number;
  /** the terminal side, becomes the container process's stdin/stdout/stderr (dup3 clears O_CLOEXEC) */
  slave: number;
  /** e.g. /dev/pts/3 */
  slavePath: string;
}

export interface PtyOptions {
  /** the ptmx to open: "/dev/ptmx", or `<rootfs>/dev/pts/ptmx` for a container's own devpts instance */
  ptmx?: string;
  /** the directory of that devpts instance's terminals */
  ptsDir?: string;
}

/** Open a new pty pair: open ptmx, unlock it (TIOCSPTLCK 0), ask its number (TIOCGPTN), open the slave. */
export function openPty(sys: Sys, options: PtyOptions = {}): Pty {
  const ptmx = options.ptmx ?? "/dev/ptmx";
  const ptsDir = options.ptsDir ?? "/dev/pts";
  const master = sys.openat(AT_FDCWD, ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  try {
    sys.ioctl(master, TIOCSPTLCK, new Uint8Array(new Int32Array([0]).buffer));
    const num = new Uint8Array(4);
    sys.ioctl(master, TIOCGPTN, num);
    const slavePath = `${ptsDir}/${new DataView(num.buffer).getUint32(0, true)}`;
    const slave = sys.openat(AT_FDCWD, slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC);
    return { master, slave, slavePath };
  } catch (e) {
    sys.close(master);
    throw e;
  }
}

/** Set a terminal's size (TIOCSWINSZ); the foreground process group gets SIGWINCH from the kernel. */
export function setWinsize(fd: number, rows: number, cols: number, sys: Sys = linuxSys()): void {
  // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
  const ws = new Uint16Array([rows, cols, 0, 0]);
  sys.ioctl(fd, TIOCSWINSZ, new Uint8Array(ws.buffer));
}

/** A terminal's size (TIOCGWINSZ). */
export function getWinsize(fd: number, sys: Sys = linuxSys()): { rows: number; cols: number } {
  const ws = new Uint16Array(4);
  sys.ioctl(fd, TIOCGWINSZ, new Uint8Array(ws.buffer));
  return { rows: ws[0]!, cols: ws[1]! };
}

/**
 * Output processing off on our terminal (OPOST), as Docker's raw mode does and Bun's setRawMode does
 * not: the container's own pty already turned "\n" into "\r\n", a second pass would print "\r\r\n".
 * Returns the function that puts the terminal's settings back.
 */
export function rawOutput(fd: number, sys: Sys = linuxSys()): () => void {
  const termios = new Uint8Array(36);
  sys.ioctl(fd, TCGETS, termios);
  const saved = termios.slice();
  const view = new DataView(termios.buffer);
  view.setUint32(4, view.getUint32(4, true) & ~OPOST, true);
  sys.ioctl(fd, TCSETS, termios);
  return () => {
    try {
      sys.ioctl(fd, TCSETS, saved);
    } catch {}
  };
}
