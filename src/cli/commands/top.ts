import { topContainer } from "../../engine/containers/index.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { renderTable } from "../_output.ts";

const spec: CommandSpec<{}> = {
  name: "top",
  description: "Display the running processes of a container",
  flags: {},
  positionals: [{ name: "CONTAINER", description: "container" }, { name: "ps OPTIONS", description: "options of ps (not supported)" }],
  args: { min: 1 },
  // what follows the container is ps's (docker top c -eo pid,comm), never ours
  stopAtFirstPositional: true,
  async run({ positionals }) {
    const [ref, ...psArgs] = positionals;
    const r = await topContainer(ref!);
    // docker hands these to the host's ps; bunker reads /proc itself, in ps -ef's columns only
    if (psArgs.length) throw new BunkerError(`ps options are not supported (bunker top shows ps -ef's columns): ${psArgs.join(" ")}`);
    process.stdout.write(renderTable(r.Titles, r.Processes));
  },
};
export default spec;
