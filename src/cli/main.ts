/**
 * Entry point of the single binary. Hidden modes (container init, supervisor) are dispatched before
 * anything else is loaded: they run inside fresh namespaces and must stay small. `--version` is answered
 * without loading the command table.
 */
import { commit, version } from "../version.ts";

async function main(argv: string[]): Promise<void> {
  const hidden = argv[0];
  if (hidden !== undefined && hidden.startsWith("__")) {
    const { runHiddenMode } = await import("./_hidden.ts");
    return runHiddenMode(hidden, argv.slice(1));
  }
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`bunker version ${version}, build ${commit}\n`);
    return;
  }
  const { dispatch } = await import("./_dispatch.ts");
  await dispatch(argv);
}

await main(process.argv.slice(2));
