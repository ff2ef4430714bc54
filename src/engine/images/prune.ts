/**
 * `image prune`: removes dangling images, or with `all` every image no container uses (Docker's rule).
 * Filters: until=<time|duration>, label=<k>[=<v>], label!=<k>[=<v>].
 */
import { BunkerError } from "../../errors.ts";
import { familiar, parseReference } from "../../image/reference.ts";
import { isDangling } from "../../image/index.ts";
import type { ImageStore } from "../../image/store.ts";
import { imageUsers } from "./in-use.ts";
import { parseFilters } from "./list.ts";
import { deleteImage, type DeleteItem } from "./remove.ts";
import { createdMs, isDanglingImage } from "./view.ts";

export interface PruneOptions {
  all?: boolean;
  filters?: string[];
}

export interface PruneReport {
  ImagesDeleted: DeleteItem[];
  SpaceReclaimed: number;
}

export async function pruneImages(store: ImageStore, opts: PruneOptions = {}): Promise<PruneReport> {
  const filters = parseFilters(opts.filters ?? []);
  for (const k of filters.keys()) {
    if (!["until", "label", "label!", "dangling"].includes(k)) throw new BunkerError(`Error response from daemon: invalid filter '${k}'`);
  }
  let all = opts.all ?? false;
  const dangling = filters.get("dangling")?.[0];
  if (dangling !== undefined) all = !["true", "1"].includes(dangling.toLowerCase());
  const until = filters.get("until")?.map(parseUntil);
  return store.exclusive(async () => {
    const used = new Set((await imageUsers()).map((u) => u.imageId));
    const report: PruneReport = { ImagesDeleted: [], SpaceReclaimed: 0 };
    for (const img of await store.images()) {
      if (used.has(img.id) || (!all && !isDanglingImage(img))) continue;
      if (until && !until.every((t) => createdMs(img) < t)) continue;
      const labels = img.config.config?.Labels ?? {};
      if (!(filters.get("label") ?? []).every((l) => labelMatches(labels, l))) continue;
      if ((filters.get("label!") ?? []).some((l) => labelMatches(labels, l))) continue;
      const sizes = new Map(store.snapshots.list().map((s) => [s.chainId, s.size]));
      for (const r of img.records.filter((x) => !isDangling(x.name)).sort((a, b) => a.name.localeCompare(b.name))) {
        report.ImagesDeleted.push({ Untagged: familiar(parseReference(r.name)) });
      }
      const deleted = await deleteImage(store, img);
      report.ImagesDeleted.push(...deleted);
      for (const d of deleted.slice(1)) if ("Deleted" in d) report.SpaceReclaimed += sizes.get(d.Deleted) ?? 0;
    }
    return report;
  });
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf("=");
  return eq === -1 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** a timestamp (RFC 3339, date, unix seconds) or a Go duration before now, as milliseconds */
function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (dur) {
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[dur[2] as "s"];
    return Date.now() - Number(dur[1]) * unit;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BunkerError(`Error response from daemon: failed to parse value as time or duration: "${v}"`);
  return t;
}
