import { BunkerError } from "../../errors.ts";
import { inspectImages, openImageStore } from "../../engine/images/index.ts";
import type { CommandSpec } from "../_command.ts";
import { formatTemplate } from "../_template.ts";
import { goJson } from "./image_common.ts";

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
    const { found, missing } = await inspectImages(store, positionals);
    if (f.format === undefined || f.format === "" || f.format === "json") {
      process.stdout.write(`${goJson(found, 4)}\n`);
    } else {
      for (const obj of found) process.stdout.write(`${formatTemplate(f.format, obj)}\n`);
    }
    if (missing.length) throw new BunkerError(missing.map((m) => `Error: No such image: ${m}`).join("\n"));
  },
};

export default spec;
