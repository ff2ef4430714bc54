/**
 * User-facing messages go through consola so --debug/--log-level and NO_COLOR work in one place. The
 * reporter is ours: Docker prints plain lines ("WARNING: ...", "Error response from daemon: ..."), and
 * admins grep them, so no icons or timestamps unless --debug.
 */
import { createConsola, type ConsolaInstance, type LogObject } from "consola";

const LEVELS: Record<string, number> = { fatal: 0, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

function format(obj: LogObject): string {
  const text = obj.args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
  if (obj.type === "warn") return `WARNING: ${text}`;
  if (obj.type === "debug" || obj.type === "trace") return `DEBU[${new Date().toISOString()}] ${text}`;
  return text;
}

export const log: ConsolaInstance = createConsola({
  level: LEVELS[process.env.BUNKER_LOG_LEVEL ?? "info"] ?? 3,
  reporters: [{ log: (obj) => process.stderr.write(format(obj) + "\n") }],
});

export function setLogLevel(name: string): boolean {
  const level = LEVELS[name];
  if (level === undefined) return false;
  log.level = level;
  process.env.BUNKER_LOG_LEVEL = name;
  return true;
}
