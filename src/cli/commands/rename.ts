import { renameContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";

const spec: CommandSpec<{}> = {
  name: "rename",
  description: "Rename a container",
  flags: {},
  positionals: [{ name: "CONTAINER", description: "container" }, { name: "NEW_NAME", description: "new name" }],
  args: { min: 2, max: 2 },
  async run({ positionals }) {
    await renameContainer(positionals[0]!, positionals[1]!);
  },
};
export default spec;
