/**
 * BUNKER_TRACE=1 prints the time of each phase of run/start to stderr ("trace +12.3ms create"), for
 * the start-up benchmark. A no-op otherwise.
 */
const on = !!process.env.BUNKER_TRACE;
const t0 = performance.now();

export function trace(what: string): void {
  if (on) process.stderr.write(`trace +${(performance.now() - t0).toFixed(1)}ms ${what}\n`);
}
