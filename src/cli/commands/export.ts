import { refuseTerminal, writeArchive } from "../_archive-out.ts";
import { openExport } from "../../engine/export.ts";
import type { CommandSpec } from "../_command.ts";
import { daemonCall } from "./image_common.ts";

const flags = {
  output: { type: "string", alias: "o", description: "Write to a file, instead of STDOUT", valueHint: "string" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "export",
  description: "Export a container's filesystem as a tar archive",
  flags,
  positionals: [{ name: "CONTAINER", description: "the container" }],
  args: { min: 1, max: 1 },
  async run({ flags: f, positionals: [ctr] }) {
    refuseTerminal(f.output);
    const chunks = await daemonCall(() => openExport(ctr!));
    await writeArchive(chunks, f.output);
  },
};
export default spec;
