import { containerChanges } from "../../engine/diff.ts";
import type { CommandSpec } from "../_command.ts";
import { daemonCall } from "./image_common.ts";

const spec: CommandSpec<{}> = {
  name: "diff",
  description: "Inspect changes to files or directories on a container's filesystem",
  flags: {},
  positionals: [{ name: "CONTAINER", description: "the container" }],
  args: { min: 1, max: 1 },
  async run({ positionals: [ctr] }) {
    const lines = (await daemonCall(async () => containerChanges(ctr!))).map((c) => `${c.kind} ${c.path}\n`);
    process.stdout.write(lines.join(""));
  },
};
export default spec;
