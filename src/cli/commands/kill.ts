import { killContainer } from "../../engine/containers/index.ts";
import { killSignal } from "../../engine/containers/signals.ts";
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
    // the signal is checked for each container, before it is looked up, as Docker's daemon does
    return forEachContainer(positionals, async (ref) => killContainer(ref, killSignal(ref, flags.signal)));
  },
};
export default spec;
