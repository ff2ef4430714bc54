import { openImageStore, parseTagTarget, tagImage } from "../../engine/images/index.ts";
import type { CommandSpec } from "../_command.ts";
import { daemonCall } from "./image_common.ts";

const spec: CommandSpec<{}> = {
  name: "image tag",
  description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  flags: {},
  positionals: [
    { name: "SOURCE_IMAGE[:TAG]", description: "image to tag" },
    { name: "TARGET_IMAGE[:TAG]", description: "new name" },
  ],
  args: { min: 2, max: 2 },
  async run({ positionals: [source, target] }) {
    parseTagTarget(target!); // the CLI's own check comes before any daemon answer
    const store = await openImageStore();
    await daemonCall(() => tagImage(store, source!, target!));
  },
};

export default spec;
