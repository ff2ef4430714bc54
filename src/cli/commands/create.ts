import { createContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { pullHooks } from "./_pull-missing.ts";
import { log } from "../_log.ts";
import { createFlags, toCreateOptions } from "./_container-flags.ts";

const spec: CommandSpec<typeof createFlags> = {
  name: "create",
  description: "Create a new container",
  flags: createFlags,
  positionals: [{ name: "IMAGE", description: "image" }, { name: "COMMAND", description: "command and arguments" }],
  args: { min: 1 },
  stopAtFirstPositional: true,
  async run({ flags, positionals }) {
    // not detached: like `docker create`, the record says stdout/stderr (and stdin with -i) are to be attached by `start -a`
    const opts = toCreateOptions(flags, positionals, false);
    const { id, warnings } = await createContainer(opts, pullHooks(flags.pull));
    for (const w of warnings) log.warn(w);
    process.stdout.write(`${id}\n`);
  },
};
export default spec;
