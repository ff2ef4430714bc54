import { restartContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { forEachContainer } from "./_containers.ts";

const flags = {
  time: { type: "string" as const, alias: "t", description: "Seconds to wait before killing the container" },
  signal: { type: "string" as const, alias: "s", description: "Signal to send to the container" },
};

const spec: CommandSpec<typeof flags> = {
  name: "restart",
  description: "Restart one or more containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  run({ flags, positionals }) {
    const t = flags.time !== undefined ? Number(flags.time) : undefined;
    return forEachContainer(positionals, (ref) => restartContainer(ref, t, flags.signal));
  },
};
export default spec;
