import { listImages, openImageStore } from "../../engine/images/index.ts";
import { familiarName, parseReference } from "../../image/reference.ts";
import type { CommandSpec } from "../_command.ts";
import { ago, humanSize, renderTable, shortId } from "../_output.ts";
import { formatRows } from "../_template.ts";
import { daemonCall, goJson, goTime } from "./image_common.ts";

const flags = {
  all: { type: "boolean", alias: "a", description: "Show all images (default hides intermediate images)" },
  digests: { type: "boolean", description: "Show digests" },
  filter: { type: "list", alias: "f", description: "Filter output based on conditions provided" },
  format: { type: "string", description: "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')" },
  "no-trunc": { type: "boolean", description: "Don't truncate output" },
  quiet: { type: "boolean", alias: "q", description: "Only show image IDs" },
} as const;

/** one row of Docker's image table, with its --format field names */
interface Row {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

const HEADERS = { ID: "IMAGE ID", CreatedSince: "CREATED", CreatedAt: "CREATED AT", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE", VirtualSize: "SIZE" };

const spec: CommandSpec<typeof flags> = {
  name: "image ls",
  description: "List images",
  flags,
  positionals: [{ name: "REPOSITORY[:TAG]", description: "only images matching this reference" }],
  args: { max: 1 },
  async run({ flags: f, positionals }) {
    const filters = [...f.filter, ...(positionals[0] !== undefined ? [`reference=${positionals[0]}`] : [])];
    const store = await openImageStore();
    const images = await daemonCall(() => listImages(store, { all: f.all, filters }));
    const rows: Row[] = [];
    for (const img of images) {
      const base = {
        Containers: "N/A",
        CreatedAt: goTime(img.Created * 1000),
        CreatedSince: ago(img.Created * 1000),
        ID: f["no-trunc"] ? img.Id : shortId(img.Id),
        SharedSize: "N/A",
        Size: humanSize(img.Size),
        UniqueSize: "N/A",
        VirtualSize: humanSize(img.Size, 4), // units.HumanSize, unlike Size's 3 digits
      };
      for (const [repo, tag, digest] of repoRows(img.RepoTags, img.RepoDigests, f.digests)) {
        // keys in Go's order (sorted), so `--format json` prints what docker prints
        const { Containers, CreatedAt, CreatedSince, ID, SharedSize, Size, UniqueSize, VirtualSize } = base;
        rows.push({ Containers, CreatedAt, CreatedSince, Digest: digest, ID, Repository: repo, SharedSize, Size, Tag: tag, UniqueSize, VirtualSize });
      }
    }
    let out: string;
    if (f.format === "json") out = rows.map((r) => `${goJson(r)}\n`).join("");
    else if (f.format !== undefined && f.format !== "table") out = formatRows(f.format, rows, HEADERS, "*formatter.imageContext");
    else if (f.quiet) out = rows.map((r) => `${r.ID}\n`).join("");
    else {
      const cols: Array<[keyof Row, string]> = [["Repository", "REPOSITORY"], ["Tag", "TAG"], ...(f.digests ? [["Digest", "DIGEST"] as [keyof Row, string]] : []), ["ID", "IMAGE ID"], ["CreatedSince", "CREATED"], ["Size", "SIZE"]];
      out = renderTable(cols.map((c) => c[1]), rows.map((r) => cols.map((c) => r[c[0]])));
    }
    process.stdout.write(out);
  },
};

/**
 * Docker's imageFormatTaggedAndDigest: a row per repository tag (per digest too with --digests),
 * digest-only repositories get a "<none>" tag row, an image with neither is "<none> <none>".
 */
function repoRows(tags: string[], digests: string[], showDigests: boolean): Array<[string, string, string]> {
  if (!tags.length && !digests.length) return [["<none>", "<none>", "<none>"]];
  const byRepo = new Map<string, { tags: string[]; digests: string[] }>();
  const entry = (repo: string) => byRepo.get(repo) ?? byRepo.set(repo, { tags: [], digests: [] }).get(repo)!;
  for (const t of tags) {
    const r = parseReference(t);
    entry(familiarName(r)).tags.push(r.tag!);
  }
  for (const d of digests) {
    const r = parseReference(d);
    entry(familiarName(r)).digests.push(r.digest!);
  }
  const rows: Array<[string, string, string]> = [];
  for (const [repo, e] of [...byRepo].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (e.tags.length) {
      for (const tag of e.tags.sort()) {
        if (showDigests && e.digests.length) for (const d of e.digests) rows.push([repo, tag, d]);
        else rows.push([repo, tag, "<none>"]);
      }
    } else if (showDigests) for (const d of e.digests) rows.push([repo, "<none>", d]);
    else rows.push([repo, "<none>", e.digests[0] ?? "<none>"]);
  }
  return rows;
}

export default spec;
