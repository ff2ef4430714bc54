import { createContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { pullHooks } from "./_pull-missing.ts";
import { log } from "../_log.ts";
import { containerError, createFlags, toCreateOptions } from "./_container-flags.ts";

const spec: CommandSpec<typeof createFlags> = {
  name: "create",
  description: "Create a new container",
  flags: createFlags,
  positionals: [{ name: "IMAGE", description: "image" }, { name: "COMMAND", description: "command" }, { name: "ARG", description: "its arguments" }],
  args: { min: 1 },
  stopAtFirstPositional: true,
  async run({ flags, positionals }) {
    // not detached: like `docker create`, the record says stdout/stderr (and stdin with -i) are to be attached by `start -a`
    let created: Awaited<ReturnType<typeof createContainer>>;
    try {
      created = await createContainer(toCreateOptions(flags, positionals, false), pullHooks(flags.pull));
    } catch (e) {
      throw containerError(e, "create");
    }
    const { id, warnings } = created;
    for (const w of warnings) log.warn(w);
    process.stdout.write(`${id}\n`);
  },
};
export default spec;
