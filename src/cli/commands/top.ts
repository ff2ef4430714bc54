import { topContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { renderTable } from "../_output.ts";

const spec: CommandSpec<{}> = {
  name: "top",
  description: "Display the running processes of a container",
  flags: {},
  positionals: [{ name: "CONTAINER", description: "container" }],
  args: { min: 1 },
  async run({ positionals }) {
    const r = await topContainer(positionals[0]!);
    process.stdout.write(renderTable(r.Titles, r.Processes));
  },
};
export default spec;
