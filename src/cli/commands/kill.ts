import { killContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { forEachContainer } from "./_containers.ts";

const flags = { signal: { type: "string" as const, alias: "s", description: 'Signal to send to the container (default "KILL")' } };

const spec: CommandSpec<typeof flags> = {
  name: "kill",
  description: "Kill one or more running containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  run({ flags, positionals }) {
    return forEachContainer(positionals, (ref) => killContainer(ref, flags.signal));
  },
};
export default spec;
