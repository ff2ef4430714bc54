import { inspectView, refresh } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { printInspect } from "../_inspect.ts";

const flags = {
  format: { type: "string" as const, alias: "f", description: "Format output using a custom template" },
  size: { type: "boolean" as const, alias: "s", description: "Display total file sizes" },
};

const spec: CommandSpec<typeof flags> = {
  name: "container inspect",
  description: "Display detailed information on one or more containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  run({ flags, positionals }) {
    // a missing one reads "Error response from daemon: No such container: x" (docker 28; 20.10 said "Error: ...")
    return printInspect(positionals, flags.format, async (ref) => inspectView(await refresh(ref), flags.size));
  },
};
export default spec;
