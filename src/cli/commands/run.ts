// the verbs' own modules, not engine/containers/index.ts: the index pulls in every verb (exec, logs,
// stats, boot, ...) and `run --rm` is the start-up path the benchmark measures
import { checkFlags, createContainer } from "../../engine/containers/create.ts";
import { removeContainer, removeFinishedRun } from "../../engine/containers/remove.ts";
import { runAttached, startDetached } from "../../engine/containers/start.ts";
import { trace } from "../../runtime/trace.ts";
import { discardPreparedInit } from "../../runtime/launch.ts";
import { prepareAttachedRun } from "../_early-init.ts";
import type { CommandSpec } from "../_command.ts";
import type { FlagValues } from "../_flags.ts";
import { UsageError } from "../../errors.ts";
import { log } from "../_log.ts";
import { pullHooks } from "./_pull-missing.ts";
import { containerError, runFlags, toCreateOptions } from "./_container-flags.ts";

const spec: CommandSpec<typeof runFlags> = {
  name: "run",
  description: "Create and run a new container from an image",
  flags: runFlags,
  positionals: [{ name: "IMAGE", description: "image to run" }, { name: "COMMAND", description: "command" }, { name: "ARG", description: "its arguments" }],
  args: { min: 1 },
  stopAtFirstPositional: true,
  run(p) {
    return runCommand(p).catch((e: unknown) => {
      throw containerError(e, "run");
    });
  },
};
export default spec;

type RunFlags = FlagValues<typeof runFlags>;

async function runCommand({ flags, positionals }: { flags: RunFlags; positionals: string[] }): Promise<number> {
  const opts = toCreateOptions(flags, positionals, flags.detach);
  const hooks = pullHooks(flags.pull);
  trace("run");
  if (!flags.detach) {
    checkFlags(opts);
    checkTty(flags);
    return runHere(flags, opts, hooks);
  }
  const { id, warnings } = await createContainer(opts, hooks);
  for (const w of warnings) log.warn(w);
  trace("created");
  try {
    await startDetached(id);
  } catch (e) {
    if (flags.rm) await removeContainer(id, true, true).catch(() => {});
    // docker prints the id of a created container whose start failed too: `id=$(docker run -d ...)` can clean up
    process.stdout.write(`${id}\n`);
    throw e;
  }
  process.stdout.write(`${id}\n`);
  return 0;
}

/**
 * Docker's CLI (CheckTty, after its flag checks, before any request): a container terminal fed from
 * our stdin needs a terminal there. -t alone is fine, the container still gets its pty.
 */
function checkTty(flags: RunFlags): void {
  const attachStdin = flags.interactive || flags.attach.some((s) => s.toLowerCase() === "stdin");
  if (flags.tty && attachStdin && !process.stdin.isTTY) throw new UsageError("the input device is not a TTY");
}

/**
 * Attached: this process is the container's supervisor. Its init is spawned first, so Bun's start-up
 * there runs alongside the image lookup, the container record and the cgroup (the stdio init gets
 * must match what runAttached asks for, or launch spawns a fresh one).
 */
async function runHere(flags: RunFlags, opts: ReturnType<typeof toCreateOptions>, hooks: ReturnType<typeof pullHooks>): Promise<number> {
  prepareAttachedRun(flags);
  try {
    const { id, warnings } = await createContainer(opts, hooks);
    for (const w of warnings) log.warn(w);
    trace("created");
    let code: number;
    try {
      code = await runAttached(id, { interactive: flags.interactive, tty: flags.tty, sigProxy: flags["sig-proxy"], removeAfter: flags.rm });
    } catch (e) {
      if (flags.rm) await removeContainer(id, true, true).catch(() => {});
      throw e;
    }
    if (flags.rm) {
      try {
        removeFinishedRun(id);
      } catch {
        await removeContainer(id, true, true).catch(() => {});
      }
    }
    trace("done");
    return code;
  } finally {
    await discardPreparedInit();
  }
}
