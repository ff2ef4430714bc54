import { NotFoundError } from "../../errors.ts";
import { BunkerError } from "../../errors.ts";
import { openImageStore, removeImage } from "../../engine/images/index.ts";
import type { CommandSpec } from "../_command.ts";
import { asDaemonError } from "./image_common.ts";

const flags = {
  force: { type: "boolean", alias: "f", description: "Force removal of the image" },
  "no-prune": { type: "boolean", description: "Do not delete untagged parents" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "image rm",
  description: "Remove one or more images",
  flags,
  positionals: [{ name: "IMAGE", description: "images to remove" }],
  args: { min: 1 },
  async run({ flags: f, positionals }) {
    const store = await openImageStore();
    const errors: string[] = [];
    let fatal = false;
    for (const ref of positionals) {
      try {
        for (const item of await removeImage(store, ref, { force: f.force, noPrune: f["no-prune"] })) {
          process.stdout.write("Untagged" in item ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`);
        }
      } catch (err) {
        if (!(err instanceof NotFoundError)) fatal = true;
        const e = asDaemonError(err);
        if (!(e instanceof BunkerError)) throw err;
        errors.push(e.message);
      }
    }
    if (!errors.length) return;
    // like docker: with -f, images that do not exist are reported but are not a failure
    if (!f.force || fatal) throw new BunkerError(errors.join("\n"));
    process.stderr.write(`${errors.join("\n")}\n`);
  },
};

export default spec;
