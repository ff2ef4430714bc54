/**
 * BUNKER_TRACE=1 prints the time of each phase of run/start to stderr ("trace +12.3ms create"), for
 * the start-up benchmark. A no-op otherwise. Times count from the process's start (performance's time
 * origin), so the first line also shows what runtime start-up and module loading cost. writeSync, not
 * process.stderr: building that stream costs milliseconds and would show up in the figures.
 */
import { writeSync } from "node:fs";

const on = !!process.env.BUNKER_TRACE;

export function trace(what: string): void {
  if (on) writeSync(2, `trace +${performance.now().toFixed(1)}ms ${what}\n`);
}
