import { pruneContainers, viewOf } from "../../engine/containers/index.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { humanSize } from "../_output.ts";
import { checkFilterFlags } from "./_containers.ts";

const flags = {
  force: { type: "boolean" as const, alias: "f", description: "Do not prompt for confirmation" },
  filter: { type: "list" as const, description: "Provide filter values (e.g. \"until=<timestamp>\")" },
};

/** `until=<time>`: only containers created before it; `label=k[=v]` */
function untilFilter(filters: string[]): ((id: string) => boolean) | undefined {
  if (!filters.length) return undefined;
  const preds = filters.map((f) => {
    const [k, ...rest] = f.split("=");
    const v = rest.join("=");
    if (k === "until") {
      const t = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
      return (id: string) => Date.parse(viewOf(id)?.record.Created ?? "") < t;
    }
    if (k === "label") {
      const [lk, ...lv] = v.split("=");
      return (id: string) => {
        const labels = viewOf(id)?.record.Config.Labels ?? {};
        return lv.length ? labels[lk!] === lv.join("=") : lk! in labels;
      };
    }
    throw new BunkerError(`Error response from daemon: invalid filter '${k}'`);
  });
  return (id) => preds.every((p) => p(id));
}

const spec: CommandSpec<typeof flags> = {
  name: "container prune",
  description: "Remove all stopped containers",
  flags,
  args: { max: 0 },
  async run({ flags }) {
    checkFilterFlags(flags.filter, "--filter");
    if (!flags.force) {
      process.stdout.write("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
      const answer = await new Promise<string>((resolve) => {
        process.stdin.once("data", (d) => resolve(String(d)));
        process.stdin.once("end", () => resolve(""));
      });
      process.stdin.pause();
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const { removed, reclaimed } = await pruneContainers(untilFilter(flags.filter));
    if (removed.length) process.stdout.write(`Deleted Containers:\n${removed.join("\n")}\n\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  },
};
export default spec;
