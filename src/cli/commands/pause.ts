import { pauseContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { forEachContainer } from "./_containers.ts";

const spec: CommandSpec<{}> = {
  name: "pause",
  description: "Pause all processes within one or more containers",
  flags: {},
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  run({ positionals }) {
    return forEachContainer(positionals, (ref) => pauseContainer(ref));
  },
};
export default spec;
