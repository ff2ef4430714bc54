/**
 * User-facing messages (warnings, debug, errors) in one place, so --debug/--log-level and NO_COLOR work
 * alike everywhere. Docker prints plain lines ("WARNING: ...", "Error response from daemon: ..."), and
 * admins grep them, so no icons or timestamps unless --debug.
 *
 * This used to be consola with our own reporter; we used only its level filter, and importing consola
 * cost ~10 ms of every command's start-up (measured: a compiled file that only imports it starts in
 * 15.4 ms against 4.9 ms), which is a fifth of `run --rm`. So the few lines are ours.
 */
import { writeSync } from "node:fs";

const LEVELS: Record<string, number> = { fatal: 0, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

type Args = unknown[];

function text(args: Args): string {
  return args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
}

function emit(line: string): void {
  // synchronous: errors are printed right before process.exit, and no stream needs building
  const buf = Buffer.from(`${line}\n`);
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(2, buf, off);
  } catch {
    // stderr closed: nothing better to do
  }
}

class Logger {
  level = LEVELS[process.env.BUNKER_LOG_LEVEL ?? "info"] ?? 3;
  error(...a: Args): void {
    if (this.level >= 0) emit(text(a));
  }
  fatal(...a: Args): void {
    this.error(...a);
  }
  warn(...a: Args): void {
    if (this.level >= 1) emit(`WARNING: ${text(a)}`);
  }
  info(...a: Args): void {
    if (this.level >= 3) emit(text(a));
  }
  log(...a: Args): void {
    this.info(...a);
  }
  debug(...a: Args): void {
    if (this.level >= 4) emit(`DEBU[${new Date().toISOString()}] ${text(a)}`);
  }
  trace(...a: Args): void {
    if (this.level >= 5) emit(`DEBU[${new Date().toISOString()}] ${text(a)}`);
  }
}

export const log = new Logger();

export function setLogLevel(name: string): boolean {
  const level = LEVELS[name];
  if (level === undefined) return false;
  log.level = level;
  process.env.BUNKER_LOG_LEVEL = name;
  return true;
}
