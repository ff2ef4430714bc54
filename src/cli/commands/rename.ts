import { renameContainer } from "../../engine/containers/index.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";
import { daemonMessage } from "./_containers.ts";

const spec: CommandSpec<{}> = {
  name: "rename",
  description: "Rename a container",
  flags: {},
  positionals: [{ name: "CONTAINER", description: "container" }, { name: "NEW_NAME", description: "new name" }],
  args: { min: 2, max: 2 },
  async run({ positionals }) {
    try {
      await renameContainer(positionals[0]!, positionals[1]!);
    } catch (e) {
      // docker prints the daemon's answer, then its own summary line
      log.error(daemonMessage(e));
      throw new BunkerError(`Error: failed to rename container named ${positionals[0]}`);
    }
  },
};
export default spec;
