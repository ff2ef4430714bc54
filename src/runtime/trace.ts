/**
 * BUNKER_TRACE=1 prints the time of each phase of run/start to stderr ("trace +12.3ms create"), for
 * the start-up benchmark. A no-op otherwise. Times count from the CLI's start (performance's time
 * origin), so the first line also shows what runtime start-up and module loading cost. Init and the
 * supervisor get the CLI's origin in BUNKER_TRACE, so their lines read on the same clock.
 * writeSync, not process.stderr: building that stream costs milliseconds and would show up in the figures.
 */
import { writeSync } from "node:fs";

const env = process.env.BUNKER_TRACE;
const on = !!env;
const origin = env && Number(env) > 1e12 ? Number(env) : performance.timeOrigin;

export function trace(what: string): void {
  if (on) writeSync(2, `trace +${(performance.timeOrigin + performance.now() - origin).toFixed(1)}ms ${what}\n`);
}

/** the environment entry that puts a child's trace lines on this process's clock */
export function traceEnv(): Record<string, string> {
  return on ? { BUNKER_TRACE: String(origin) } : {};
}
