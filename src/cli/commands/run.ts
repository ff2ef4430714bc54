// the verbs' own modules, not engine/containers/index.ts: the index pulls in every verb (exec, logs,
// stats, boot, ...) and `run --rm` is the start-up path the benchmark measures
import { createContainer } from "../../engine/containers/create.ts";
import { removeContainer } from "../../engine/containers/remove.ts";
import { runAttached, startDetached } from "../../engine/containers/start.ts";
import { viewOf } from "../../engine/containers/status.ts";
import { trace } from "../../engine/containers/trace.ts";
import type { CommandSpec } from "../_command.ts";
import { pullHooks } from "./_pull-missing.ts";
import { runFlags, toCreateOptions } from "./_container-flags.ts";

const spec: CommandSpec<typeof runFlags> = {
  name: "run",
  description: "Create and run a new container from an image",
  flags: runFlags,
  positionals: [{ name: "IMAGE", description: "image to run" }, { name: "COMMAND", description: "command and arguments" }],
  args: { min: 1 },
  stopAtFirstPositional: true,
  async run({ flags, positionals }) {
    const opts = toCreateOptions(flags, positionals, flags.detach);
    const hooks = pullHooks(flags.pull);
    trace("run");
    const { id } = await createContainer(opts, hooks);
    trace("created");
    if (flags.detach) {
      try {
        await startDetached(id);
      } catch (e) {
        if (flags.rm) await removeContainer(id, true, true).catch(() => {});
        throw e;
      }
      process.stdout.write(`${id}\n`);
      return 0;
    }
    let code: number;
    try {
      code = await runAttached(id, { interactive: flags.interactive, tty: flags.tty, sigProxy: flags["sig-proxy"] });
    } catch (e) {
      if (flags.rm) await removeContainer(id, true, true).catch(() => {});
      throw e;
    }
    if (flags.rm && viewOf(id)) await removeContainer(id, true, true).catch(() => {});
    trace("done");
    return code;
  },
};
export default spec;
