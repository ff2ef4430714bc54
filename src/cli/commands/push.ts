import { BunkerError } from "../../errors.ts";
import { pushImage } from "../../engine/distribution/push.ts";
import { withStore } from "../../engine/distribution/stores.ts";
import { fullName, localName, parseReference, withDefaultTag } from "../../image/reference.ts";
import type { CommandSpec } from "../_command.ts";
import { progressSink } from "../_progress.ts";

const flags = {
  quiet: { type: "boolean", alias: "q", description: "Suppress verbose output" },
  "all-tags": { type: "boolean", alias: "a", description: "Push all tags of an image to the repository (not supported)", hidden: true },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "push",
  description: "Upload an image to a registry",
  flags,
  positionals: [{ name: "NAME[:TAG]", description: "image to push" }],
  args: { min: 1, max: 1 },
  async run({ flags: f, positionals }) {
    if (f["all-tags"]) throw new BunkerError("--all-tags is not supported by bunker yet; name each tag");
    const given = parseReference(positionals[0]!);
    const ref = withDefaultTag(given);
    const sink = progressSink({ quiet: f.quiet });
    if (!given.tag && !given.digest) sink.line(`Using default tag: ${ref.tag}`);
    sink.line(`The push refers to repository [${fullName(ref)}]`);
    const r = await withStore(`push ${localName(ref)}`, (parts) => pushImage(ref, parts, { progress: sink }));
    sink.line(`${r.tag}: digest: ${r.digest} size: ${r.size}`);
    if (f.quiet) process.stdout.write(`${localName(ref)}\n`);
  },
};
export default spec;
