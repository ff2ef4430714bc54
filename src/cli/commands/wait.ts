import { waitContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";
import { daemonMessage } from "./_containers.ts";

const spec: CommandSpec<{}> = {
  name: "wait",
  description: "Block until one or more containers stop, then print their exit codes",
  flags: {},
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  async run({ positionals }) {
    let failed = false;
    for (const ref of positionals) {
      try {
        process.stdout.write(`${await waitContainer(ref)}\n`);
      } catch (e) {
        failed = true;
        log.error(daemonMessage(e));
      }
    }
    return failed ? 1 : 0;
  },
};
export default spec;
