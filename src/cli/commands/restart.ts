import { restartContainer } from "../../engine/containers/index.ts";
import { parseIntFlag } from "../../engine/containers/options.ts";
import type { CommandSpec } from "../_command.ts";
import { forEachContainer } from "./_containers.ts";

const flags = {
  timeout: { type: "string" as const, alias: "t", description: "Seconds to wait before killing the container" },
  // docker's old spelling of --timeout, still accepted
  time: { type: "string" as const, description: "Seconds to wait before killing the container", hidden: true },
  signal: { type: "string" as const, alias: "s", description: "Signal to send to the container" },
};

const spec: CommandSpec<typeof flags> = {
  name: "restart",
  description: "Restart one or more containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  run({ flags, positionals }) {
    const given = flags.timeout ?? flags.time;
    const t = given !== undefined ? parseIntFlag(given, "-t, --timeout") : undefined;
    return forEachContainer(positionals, (ref) => restartContainer(ref, t, flags.signal));
  },
};
export default spec;
