import { removeContainer } from "../../engine/containers/index.ts";
import { NotFoundError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";
import { forEachContainer } from "./_containers.ts";

const flags = {
  force: { type: "boolean" as const, alias: "f", description: "Force the removal of a running container (uses SIGKILL)" },
  volumes: { type: "boolean" as const, alias: "v", description: "Remove anonymous volumes associated with the container" },
  link: { type: "boolean" as const, alias: "l", description: "Remove the specified link", hidden: true },
};

const spec: CommandSpec<typeof flags> = {
  name: "rm",
  description: "Remove one or more containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  async run({ flags, positionals }) {
    // docker 28: with -f a missing container is reported but is no failure (`rm -f x` in scripts is idempotent)
    return forEachContainer(positionals, async (ref) => {
      try {
        await removeContainer(ref, flags.force, flags.volumes);
        return true;
      } catch (e) {
        if (!flags.force || !(e instanceof NotFoundError)) throw e;
        log.error(e.message);
        return false;
      }
    });
  },
};
export default spec;
