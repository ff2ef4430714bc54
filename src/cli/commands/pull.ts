import { BunkerError } from "../../errors.ts";
import { pullImage } from "../../engine/distribution/pull.ts";
import { withStore } from "../../engine/distribution/stores.ts";
import { parsePlatform } from "../../registry/platform.ts";
import { localName, parseReference, withDefaultTag } from "../../image/reference.ts";
import type { CommandSpec } from "../_command.ts";
import { progressSink } from "../_progress.ts";
import { pullSummary } from "./_pull-missing.ts";

const flags = {
  platform: { type: "string", description: "Set platform if server is multi-platform capable", valueHint: "string" },
  quiet: { type: "boolean", alias: "q", description: "Suppress verbose output" },
  "all-tags": { type: "boolean", alias: "a", description: "Download all tagged images in the repository (not supported)", hidden: true },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "pull",
  description: "Download an image from a registry",
  flags,
  positionals: [{ name: "NAME[:TAG|@DIGEST]", description: "image to pull" }],
  args: { min: 1, max: 1 },
  async run({ flags: f, positionals }) {
    if (f["all-tags"]) throw new BunkerError("--all-tags is not supported by bunker yet; name each tag");
    const given = parseReference(positionals[0]!);
    const ref = withDefaultTag(given);
    const sink = progressSink({ quiet: f.quiet });
    if (!given.tag && !given.digest) sink.line(`Using default tag: ${ref.tag}`);
    // Docker names the repository by its path in the registry: "library/busybox", "e2e/bb" (no host)
    const onResolved = () => sink.line(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}`);
    const platform = f.platform ? parsePlatform(f.platform) : undefined;
    const r = await withStore(`pull ${localName(ref)}`, (parts) => pullImage(ref, parts, { platform, progress: sink, onResolved }));
    for (const l of pullSummary(r, ref)) sink.line(l);
    process.stdout.write(`${localName(ref)}\n`);
  },
};
export default spec;
