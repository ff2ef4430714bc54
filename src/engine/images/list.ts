/**
 * `images` / `image ls`: summaries newest first (Docker sorts by Created), with Docker's filters
 * dangling, reference, label, before and since. Errors use the daemon's wording.
 */
import { BunkerError } from "../../errors.ts";
import { parseReference, referenceMatches } from "../../image/reference.ts";
import type { ImageStore } from "../../image/store.ts";
import { resolveImage } from "./resolve.ts";
import { createdMs, isDanglingImage, summarize, type ImageSummary } from "./view.ts";

export interface ListOptions {
  /** -a: intermediate images too (bunker has none yet, so the same list) */
  all?: boolean;
  /** "key=value" strings as given to --filter */
  filters?: string[];
}

const KNOWN = new Set(["dangling", "reference", "label", "before", "since"]);

export function parseFilters(filters: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new BunkerError(`Error response from daemon: bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).toLowerCase();
    out.set(key, [...(out.get(key) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

export async function listImages(store: ImageStore, opts: ListOptions = {}): Promise<ImageSummary[]> {
  const filters = parseFilters(opts.filters ?? []);
  for (const k of filters.keys()) if (!KNOWN.has(k)) throw new BunkerError(`Error response from daemon: invalid filter '${k}'`);
  let images = await store.images();
  const dangling = filters.get("dangling");
  if (dangling) {
    const want = dangling.map((v) => v.toLowerCase());
    if (want.some((v) => !["true", "false", "1", "0"].includes(v))) {
      throw new BunkerError(`Error response from daemon: Invalid filter 'dangling=${dangling[0]}'`);
    }
    const only = want.includes("true") || want.includes("1");
    images = images.filter((i) => isDanglingImage(i) === only);
  }
  const refs = filters.get("reference");
  if (refs) {
    images = images.filter((i) =>
      i.records.some((r) => {
        try {
          const ref = parseReference(r.name);
          return refs.some((p) => referenceMatches(p, ref));
        } catch {
          return false; // dangling records never match a reference
        }
      }),
    );
  }
  for (const l of filters.get("label") ?? []) {
    const eq = l.indexOf("=");
    images = images.filter((i) => {
      const labels = i.config.config?.Labels ?? {};
      return eq === -1 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
    });
  }
  for (const [key, cmp] of [["before", (a: number, b: number) => a < b], ["since", (a: number, b: number) => a > b]] as const) {
    for (const ref of filters.get(key) ?? []) {
      const pivot = createdMs(await resolveImage(store, ref));
      images = images.filter((i) => cmp(createdMs(i), pivot));
    }
  }
  const out = images.sort((a, b) => createdMs(b) - createdMs(a) || a.id.localeCompare(b.id)).map((i) => summarize(store, i));
  // like the daemon, a reference filter also narrows which tags of a matching image are listed
  if (refs) {
    const keep = (s: string) => refs.some((p) => referenceMatches(p, parseReference(s)));
    for (const s of out) {
      s.RepoTags = s.RepoTags.filter(keep);
      s.RepoDigests = s.RepoDigests.filter(keep);
    }
  }
  return out;
}
