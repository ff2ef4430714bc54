import { inspectImages, openImageStore } from "../../engine/images/index.ts";
import type { CommandSpec } from "../_command.ts";
import { printInspect } from "../_inspect.ts";

const flags = {
  format: { type: "string", alias: "f", description: "Format output using a custom template ('json', 'TEMPLATE')" },
  platform: { type: "string", description: "Inspect a specific platform of a multi-platform image", hidden: true },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "image inspect",
  description: "Display detailed information on one or more images",
  flags,
  positionals: [{ name: "IMAGE", description: "images to inspect" }],
  args: { min: 1 },
  async run({ flags: f, positionals }) {
    const store = await openImageStore();
    return printInspect(positionals, f.format, async (ref) => {
      const { found } = await inspectImages(store, [ref]);
      if (!found[0]) throw new Error(`Error: No such image: ${ref}`);
      return found[0];
    });
  },
};

export default spec;
