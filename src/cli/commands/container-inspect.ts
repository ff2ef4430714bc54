import { inspectView, refresh } from "../../engine/containers/index.ts";
import { NotFoundError } from "../../errors.ts";
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
    return printInspect(positionals, flags.format, async (ref) => {
      try {
        return inspectView(await refresh(ref), flags.size);
      } catch (e) {
        // docker's inspect words a missing object "Error: No such container: x" (the CLI's own wording)
        throw e instanceof NotFoundError ? new Error(`Error: ${e.message}`) : e;
      }
    });
  },
};
export default spec;
