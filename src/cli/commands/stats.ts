import { listContainers, refresh, sampleStats, type ContainerView } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { binarySize, humanSize } from "../_output.ts";
import { formatRows, TemplateError } from "../_template.ts";
import { BunkerError } from "../../errors.ts";

const flags = {
  all: { type: "boolean" as const, alias: "a", description: "Show all containers (default shows just running)" },
  "no-stream": { type: "boolean" as const, description: "Disable streaming stats and only pull the first result" },
  "no-trunc": { type: "boolean" as const, description: "Do not truncate output" },
  format: { type: "string" as const, description: "Format output using a custom template" },
};

const DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
const HEADERS = { ID: "CONTAINER ID", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %", NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS", Container: "CONTAINER" };

const spec: CommandSpec<typeof flags> = {
  name: "stats",
  description: "Display a live stream of container(s) resource usage statistics",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  async run({ flags, positionals }) {
    const format = flags.format ?? DEFAULT;
    for (;;) {
      const views: ContainerView[] = positionals.length
        ? await Promise.all(positionals.map((r) => refresh(r)))
        : listContainers({ all: flags.all });
      const samples = await sampleStats(views);
      const rows = samples.map((s) => ({
        ID: flags["no-trunc"] ? s.id : s.id.slice(0, 12),
        Container: s.name,
        Name: s.name,
        CPUPerc: `${s.cpuPercent.toFixed(2)}%`,
        MemUsage: `${binarySize(s.memUsage)} / ${binarySize(s.memLimit)}`,
        MemPerc: `${s.memPercent.toFixed(2)}%`,
        NetIO: "0B / 0B",
        BlockIO: `${humanSize(0)} / ${humanSize(0)}`,
        PIDs: String(s.pids),
      }));
      const text = statsText(format, rows);
      if (flags["no-stream"] || !process.stdout.isTTY) {
        process.stdout.write(text);
        return;
      }
      process.stdout.write(`\x1b[2J\x1b[H${text}`);
    }
  },
};
export default spec;

/** docker's stats words every --format failure "template parsing error: ..." */
function statsText(format: string, rows: object[]): string {
  try {
    return formatRows(format, rows, HEADERS, "*container.statsContext");
  } catch (e) {
    if (e instanceof TemplateError && !e.message.startsWith("template parsing error")) throw new BunkerError(`template parsing error: ${e.message}`);
    throw e;
  }
}
