import { pruneVolumes } from "../../engine/volumes/index.ts";
import type { CommandSpec } from "../_command.ts";
import { humanSize4 } from "./image_common.ts";

const flags = {
  all: { type: "boolean", alias: "a", description: "Remove all unused volumes, not just anonymous ones" },
  filter: { type: "list", description: "Provide filter values (e.g. \"label=<label>\")" },
  force: { type: "boolean", alias: "f", description: "Do not prompt for confirmation" },
} as const;

async function confirm(question: string): Promise<boolean> {
  process.stdout.write(question);
  const answer = await new Promise<string>((resolve) => {
    let buf = "";
    const onData = (d: Buffer | string) => {
      buf += String(d);
      if (buf.includes("\n")) done();
    };
    const done = () => {
      process.stdin.off("data", onData);
      process.stdin.off("end", done);
      process.stdin.pause();
      resolve(buf.split("\n")[0] ?? "");
    };
    process.stdin.on("data", onData);
    process.stdin.once("end", done);
  });
  return /^y(es)?$/i.test(answer.trim());
}

const spec: CommandSpec<typeof flags> = {
  name: "volume prune",
  description: "Remove unused local volumes",
  flags,
  args: { max: 0 },
  async run({ flags: f }) {
    if (!f.force) {
      const what = f.all ? "all local volumes" : "anonymous local volumes";
      // without a terminal the answer comes from stdin; EOF or anything but y/yes is a "no", as in Docker
      if (!(await confirm(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `))) {
        return;
      }
    }
    const res = pruneVolumes({ all: f.all, filters: f.filter });
    if (res.deleted.length) process.stdout.write(`Deleted Volumes:\n${res.deleted.join("\n")}\n\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize4(res.reclaimed)}\n`);
  },
};
export default spec;
