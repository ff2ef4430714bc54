import { listContainers } from "../../engine/containers/index.ts";
import { parseIntFlag } from "../../engine/containers/options.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { checkTemplate, formatRows, formatTemplate, TemplateParseError } from "../_template.ts";
import { checkFilterFlags, emptyPsRow, PS_HEADERS, psRow } from "./_containers.ts";

const flags = {
  all: { type: "boolean" as const, alias: "a", description: "Show all containers (default shows just running)" },
  quiet: { type: "boolean" as const, alias: "q", description: "Only display container IDs" },
  size: { type: "boolean" as const, alias: "s", description: "Display total file sizes" },
  last: { type: "string" as const, alias: "n", description: "Show n last created containers (includes all states)" },
  latest: { type: "boolean" as const, alias: "l", description: "Show the latest created container (includes all states)" },
  "no-trunc": { type: "boolean" as const, description: "Don't truncate output" },
  filter: { type: "list" as const, alias: "f", description: "Filter output based on conditions provided" },
  format: { type: "string" as const, description: "Format output using a custom template" },
};

const DEFAULT = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

const spec: CommandSpec<typeof flags> = {
  name: "ps",
  description: "List containers",
  flags,
  args: { max: 0 },
  run({ flags }) {
    const last = flags.latest ? 1 : flags.last !== undefined ? parseIntFlag(flags.last, "-n, --last") : undefined;
    checkFilterFlags(flags.filter, "-f, --filter");
    if (flags.format && flags.format !== "table" && flags.format !== "json") checkFormat(flags.format);
    // like docker, a --format that names .Size asks for sizes without -s
    const wantSize = flags.size || /\.Size\b/.test(flags.format ?? "");
    const list = listContainers({ all: flags.all, filters: flags.filter, last, size: wantSize && !flags.quiet });
    const trunc = !flags["no-trunc"];
    if (flags.quiet && !flags.format) {
      process.stdout.write(list.map((v) => `${trunc ? v.id.slice(0, 12) : v.id}\n`).join(""));
      return;
    }
    let format = flags.format && flags.format !== "table" ? flags.format : DEFAULT;
    if (flags.size && format === DEFAULT) format += "\t{{.Size}}";
    process.stdout.write(formatRows(format, list.map((v) => psRow(v, trunc)), PS_HEADERS, "*formatter.ContainerContext"));
  },
};
export default spec;

/**
 * Docker's ps runs the template once on an empty row before it lists anything, so a bad --format fails
 * even when no container matches, with its "failed to parse/execute template" prefix.
 */
function checkFormat(format: string): void {
  const body = format.startsWith("table") ? format.slice(5) : format;
  try {
    checkTemplate(body);
    formatTemplate(body, emptyPsRow(), { struct: "*formatter.ContainerContext" });
  } catch (e) {
    if (!(e instanceof BunkerError)) throw e;
    throw new BunkerError(`failed to ${e instanceof TemplateParseError ? "parse" : "execute"} template: ${e.message}`);
  }
}
