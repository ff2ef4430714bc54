/**
 * Entry point of the single binary. Hidden modes (container init, supervisor) are dispatched before
 * anything else is loaded: they run inside fresh namespaces and must stay small. `--version` is answered
 * without loading the command table, and with console.log: touching process.stdout builds Node's stream
 * machinery, which alone costs ~10 ms at startup (measured). No top-level await: bytecode compilation
 * (scripts/build) needs a module without it.
 */
import { commit, version } from "../version.ts";

function main(argv: string[]): Promise<void> {
  const first = argv[0];
  if (first !== undefined && first.startsWith("__")) {
    return import("./_hidden.ts").then((m) => m.runHiddenMode(first, argv.slice(1)));
  }
  if (argv.length === 1 && (first === "--version" || first === "-v")) {
    console.log(`bunker version ${version}, build ${commit}`);
    return Promise.resolve();
  }
  // `run`: the container's init starts now, alongside our own start-up (_early-init.ts)
  const early = argv.slice(0, 6).includes("run") ? import("./_early-init.ts").then((m) => (m.startEarly(argv), m)) : null;
  const done = import("./_dispatch.ts").then((m) => m.dispatch(argv));
  return early ? done.finally(() => early.then((m) => m.discardPreparedInit())) : done;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`Error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
