/**
 * The caller's terminal wired to a container's pty (run -t, exec -t): raw mode so keys (Ctrl-C too)
 * reach the container unchanged, stdin copied to the pty master, the window size copied now and on
 * every SIGWINCH (TIOCSWINSZ on the master). `restore()` undoes all of it.
 */
import { writeSync } from "node:fs";
import { rawOutput, setWinsize } from "../../sys/pty.ts";

/**
 * The size a new pty starts with: our stdout's when it is a terminal (Docker's CLI takes the output
 * stream's), none otherwise; a detached container stays 0x0 until attach, as with Docker.
 */
export function callerConsoleSize(): { rows: number; cols: number } | undefined {
  const { columns: cols, rows } = process.stdout;
  return process.stdout.isTTY && cols > 0 && rows > 0 ? { rows, cols } : undefined;
}

export interface TerminalLink {
  restore(): void;
}

export function linkTerminal(ptyMaster: number, withStdin: boolean): TerminalLink {
  const resize = () => {
    const cols = process.stdout.columns, rows = process.stdout.rows;
    if (cols && rows) {
      try {
        setWinsize(ptyMaster, rows, cols);
      } catch {}
    }
  };
  resize();
  process.on("SIGWINCH", resize);
  const stdin = process.stdin;
  const raw = withStdin && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const restoreOutput = raw && process.stdout.isTTY ? rawOutput(1) : () => {};
  const onData = (chunk: Buffer) => {
    try {
      writeSync(ptyMaster, chunk);
    } catch {}
  };
  if (withStdin) {
    stdin.on("data", onData);
    stdin.resume();
  }
  return {
    restore() {
      process.off("SIGWINCH", resize);
      if (withStdin) {
        stdin.off("data", onData);
        stdin.pause();
        restoreOutput();
        if (raw) stdin.setRawMode(false);
      }
    },
  };
}

/** stdin (not a tty) copied into the container's stdin pipe, closed at EOF so `cat` ends */
export function pipeStdin(sink: { write(b: Uint8Array): unknown; end(): unknown }): () => void {
  const onData = (chunk: Buffer) => void sink.write(chunk);
  const onEnd = () => void sink.end();
  process.stdin.on("data", onData);
  process.stdin.on("end", onEnd);
  process.stdin.resume();
  return () => {
    process.stdin.off("data", onData);
    process.stdin.off("end", onEnd);
    process.stdin.pause();
  };
}
