import { commitContainer } from "../../engine/commit/index.ts";
import { openImageStore } from "../../engine/images/index.ts";
import { UsageError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { daemonCall } from "./image_common.ts";

const flags = {
  author: { type: "string", alias: "a", description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
  change: { type: "list", alias: "c", description: "Apply Dockerfile instruction to the created image" },
  message: { type: "string", alias: "m", description: "Commit message" },
  pause: { type: "boolean", alias: "p", default: true, description: "Pause container during commit" },
  snapshot: { type: "string", description: '"lazy" (default): store the layer, unpack it on first run; "eager": unpack now' },
  compression: { type: "string", description: 'Layer compression: "none" (default: a plain tar, as Docker\'s own commit keeps it; push gzips it), "gzip" (compressed now; every Docker since 20.10 pulls it) or "zstd" (smaller, faster than gzip; Docker 23+)', valueHint: "string" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "commit",
  description: "Create a new image from a container's changes",
  flags,
  positionals: [
    { name: "CONTAINER", description: "the container" },
    { name: "REPOSITORY[:TAG]", description: "name for the new image" },
  ],
  args: { min: 1, max: 2 },
  async run({ flags: f, positionals: [ctr, ref] }) {
    const compression = f.compression ?? "none";
    if (compression !== "gzip" && compression !== "zstd" && compression !== "none") throw new UsageError(`invalid argument "${compression}" for "--compression" flag: must be gzip, zstd or none`);
    const snapshot = f.snapshot ?? "lazy";
    if (snapshot !== "eager" && snapshot !== "lazy") throw new UsageError(`invalid argument "${snapshot}" for "--snapshot" flag: must be eager or lazy`);
    const store = await openImageStore();
    const r = await daemonCall(() => commitContainer(store, ctr!, { author: f.author, message: f.message, changes: f.change, pause: f.pause, reference: ref, compression, snapshot }));
    process.stdout.write(`${r.id}\n`);
  },
};
export default spec;
