import { refuseTerminal, writeArchive } from "../_archive-out.ts";
import { saveImages } from "../../engine/distribution/archive.ts";
import { openImageStore } from "../../engine/images/resolve.ts";
import type { CommandSpec } from "../_command.ts";

const flags = {
  output: { type: "string", alias: "o", description: "Write to a file, instead of STDOUT", valueHint: "string" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "save",
  description: "Save one or more images to a tar archive (streamed to STDOUT by default)",
  flags,
  positionals: [{ name: "IMAGE", description: "images to save" }],
  args: { min: 1 },
  async run({ flags: f, positionals }) {
    refuseTerminal(f.output);
    const chunks = await saveImages(positionals, await openImageStore());
    await writeArchive(chunks, f.output);
  },
};
export default spec;
