import { waitContainer } from "../../engine/containers/index.ts";
import { errorMessage } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";

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
        log.error(errorMessage(e));
      }
    }
    return failed ? 1 : 0;
  },
};
export default spec;
