import { renderTable } from "../_output.ts";
import { listVolumesFiltered, volumeView, type VolumeMeta } from "../../engine/volumes/index.ts";
import type { CommandSpec } from "../_command.ts";
import { formatRows } from "../_template.ts";

const flags = {
  filter: { type: "list", alias: "f", description: "Provide filter values (e.g. \"dangling=true\")" },
  format: { type: "string", description: "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')" },
  quiet: { type: "boolean", alias: "q", description: "Only display volume names" },
} as const;

/** --format fields of a row, as Docker's volume formatter names them */
function row(v: VolumeMeta) {
  const view = volumeView(v);
  const row = {
    Availability: "N/A",
    Driver: view.Driver,
    Group: "N/A",
    Labels: Object.entries(view.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(","),
    Links: "N/A",
    Mountpoint: view.Mountpoint,
    Name: view.Name,
    Scope: view.Scope,
    Size: "N/A",
    Status: "N/A",
  };
  // {{.Label "key"}}: a method of Docker's volume context, not a field of its JSON
  Object.defineProperty(row, "Label", { value: (key: unknown) => view.Labels?.[String(key)] ?? "", enumerable: false });
  return row;
}

/** Docker sorts names "naturally" (vol2 before vol10) */
function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

function table(rows: string[][]): string {
  return renderTable(["DRIVER", "VOLUME NAME"], rows);
}

const spec: CommandSpec<typeof flags> = {
  name: "volume ls",
  description: "List volumes",
  flags,
  args: { max: 0 },
  run({ flags: f }) {
    const rows = listVolumesFiltered(f.filter).map(row).sort((a, b) => naturalLess(a.Name, b.Name));
    let out: string;
    if (f.quiet) out = rows.map((r) => `${r.Name}\n`).join("");
    else if (f.format !== undefined && f.format !== "table") out = formatRows(f.format, rows, { Name: "VOLUME NAME" }, "*formatter.volumeContext");
    else out = table(rows.map((r) => [r.Driver, r.Name]));
    process.stdout.write(out);
  },
};
export default spec;
