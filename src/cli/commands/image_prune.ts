import { openImageStore, pruneImages } from "../../engine/images/index.ts";
import type { CommandSpec } from "../_command.ts";
import { daemonCall, humanSize4 } from "./image_common.ts";

const flags = {
  all: { type: "boolean", alias: "a", description: "Remove all unused images, not just dangling ones" },
  filter: { type: "list", description: `Provide filter values (e.g. "until=<timestamp>")` },
  force: { type: "boolean", alias: "f", description: "Do not prompt for confirmation" },
} as const;

const ALL_WARNING = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?";
const DANGLING_WARNING = "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";

const spec: CommandSpec<typeof flags> = {
  name: "image prune",
  description: "Remove unused images",
  flags,
  args: { max: 0 },
  async run({ flags: f }) {
    if (!f.force && !(await confirm(f.all ? ALL_WARNING : DANGLING_WARNING))) {
      process.stdout.write("Total reclaimed space: 0B\n");
      return;
    }
    const store = await openImageStore();
    const report = await daemonCall(() => pruneImages(store, { all: f.all, filters: f.filter }));
    if (report.ImagesDeleted.length) {
      const lines = report.ImagesDeleted.map((d) => ("Untagged" in d ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`));
      process.stdout.write(`Deleted Images:\n${lines.join("\n")}\n\n`);
    }
    process.stdout.write(`Total reclaimed space: ${humanSize4(report.SpaceReclaimed)}\n`);
  },
};

/** Docker's prompt: "[y/N] " on stdout, one line from stdin; anything but y/Y (or EOF) is no */
async function confirm(message: string): Promise<boolean> {
  process.stdout.write(`${message} [y/N] `);
  const reader = Bun.stdin.stream().getReader();
  let line = "";
  const dec = new TextDecoder();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    line += dec.decode(r.value, { stream: true });
    if (line.includes("\n")) break;
  }
  reader.releaseLock();
  return (line.split("\n")[0] ?? "").trim().toLowerCase() === "y";
}

export default spec;
