import { imageHistory, openImageStore } from "../../engine/images/index.ts";
import type { CommandSpec } from "../_command.ts";
import { ago, humanSize, renderTable, shortId, truncate } from "../_output.ts";
import { formatRows } from "../_template.ts";
import { daemonCall, goJson, rfc3339 } from "./image_common.ts";

const flags = {
  format: { type: "string", description: "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')" },
  human: { type: "boolean", alias: "H", default: true, description: "Print sizes and dates in human readable format" },
  "no-trunc": { type: "boolean", description: "Don't truncate output" },
  quiet: { type: "boolean", alias: "q", description: "Only show image IDs" },
  platform: { type: "string", description: "Show history for the given platform", hidden: true },
} as const;

const HEADERS = { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY" };

const spec: CommandSpec<typeof flags> = {
  name: "image history",
  description: "Show the history of an image",
  flags,
  positionals: [{ name: "IMAGE", description: "image" }],
  args: { min: 1, max: 1 },
  async run({ flags: f, positionals: [ref] }) {
    const store = await openImageStore();
    const items = await daemonCall(() => imageHistory(store, ref!));
    const trunc = !f["no-trunc"];
    const rows = items.map((h) => {
      const createdBy = h.CreatedBy.replace(/\t/g, " ");
      // keys in Go's order (sorted), so `--format json` prints what docker prints
      return {
        Comment: h.Comment,
        CreatedAt: rfc3339(h.Created * 1000),
        CreatedBy: trunc ? truncate(createdBy, 45) : createdBy,
        CreatedSince: f.human ? (h.Created ? ago(h.Created * 1000) : "N/A") : rfc3339(h.Created * 1000),
        ID: h.Id === "<missing>" || !trunc ? h.Id : shortId(h.Id),
        Size: f.human ? humanSize(h.Size) : String(h.Size),
      };
    });
    if (f.format === "json") process.stdout.write(rows.map((r) => `${goJson(r)}\n`).join(""));
    else if (f.format !== undefined && f.format !== "table") process.stdout.write(formatRows(f.format, rows, HEADERS, "*image.historyContext"));
    else if (f.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(""));
    else {
      process.stdout.write(renderTable(["IMAGE", f.human ? "CREATED" : "CREATED AT", "CREATED BY", "SIZE", "COMMENT"], rows.map((r) => [r.ID, r.CreatedSince, r.CreatedBy, r.Size, r.Comment])));
    }
  },
};

export default spec;
