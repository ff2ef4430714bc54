import { removeContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
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
  run({ flags, positionals }) {
    return forEachContainer(positionals, (ref) => removeContainer(ref, flags.force, flags.volumes));
  },
};
export default spec;
