/**
 * `run` in the foreground spends ~8 ms of its critical path on Bun starting a second time, in the
 * container's init. Spawned here, before the command table and the engine are even loaded, that
 * start-up runs alongside the CLI's own (module loading, flags, image lookup, container record).
 * Speculative and conservative: only for a plain attached `run` (no -d/-i/-t anywhere in argv, so init's
 * stdio is the one runAttached asks for), as root. launch() adopts it when the stdio matches; whatever is
 * not adopted is ended (discardPreparedInit) before the process exits.
 */
import { warmAttach } from "../runtime/cgroups/warm.ts";
import { discardPreparedInit, prepareInit } from "../runtime/launch.ts";

const GLOBAL_WITH_VALUE = new Set(["--root", "--run-root", "-l", "--log-level"]);
const GLOBAL_BOOL = new Set(["-D", "--debug"]);
/** a short-flag cluster holding -d, -i or -t, or their long forms */
const NOT_PLAIN = /^(-[A-Za-z]*[dit][A-Za-z]*|--(detach|interactive|tty)(=.*)?)$/;

/** true when argv is `[globals] run|container run ...` with none of the flags that change init's stdio */
export function isPlainAttachedRun(argv: string[]): boolean {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(a)) i += 2;
    else if (GLOBAL_BOOL.has(a) || /^--(root|run-root|log-level)=/.test(a)) i += 1;
    else break;
  }
  if (argv[i] === "container") i++;
  if (argv[i] !== "run") return false;
  return !argv.slice(i + 1).some((a) => NOT_PLAIN.test(a));
}

/**
 * Starts the cgroup warm-up and spawns the init an attached run will adopt, with the stdio runAttached
 * asks for (engine/containers/start.ts: stdin only with -i and no -t, output on pipes; with -t init puts
 * the pty on 0/1/2 itself). Root only; a second call is a no-op.
 */
let started = false;

export function prepareAttachedRun(o: { interactive: boolean; tty: boolean }): void {
  if (started || process.getuid?.() !== 0) return;
  started = true;
  warmAttach();
  prepareInit("new", o.tty ? ["ignore", "ignore", "inherit"] : [o.interactive ? "inherit" : "ignore", "pipe", "pipe"]);
}

export function startEarly(argv: string[]): void {
  if (isPlainAttachedRun(argv)) prepareAttachedRun({ interactive: false, tty: false });
}

export { discardPreparedInit };
