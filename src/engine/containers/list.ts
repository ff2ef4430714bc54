/**
 * The containers `ps` shows: newest first, Docker's filters (status, name, label, ancestor, id, exited),
 * -a / -n / -l, and sizes (-s) computed from the overlay upper dir and the image's snapshots. Read-only:
 * listing never repairs stale files (that is for the verbs), it only reports the truth.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BunkerError } from "../../errors.ts";
import { project, type ContainerView } from "./status.ts";
import { listIds, loadLive, loadRecord, loadState, resolveId } from "./store.ts";

export interface ListOptions {
  all?: boolean;
  /** "key=value" strings as typed after --filter */
  filters?: string[];
  /** -n: the last N created, any state */
  last?: number;
  size?: boolean;
}

export interface ListedContainer extends ContainerView {
  sizeRw?: number;
  sizeRootFs?: number;
}

const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

export function listContainers(opts: ListOptions = {}): ListedContainer[] {
  const filters = parseFilters(opts.filters ?? []);
  let views: ListedContainer[] = [];
  for (const id of listIds()) {
    const record = loadRecord(id);
    if (!record) continue;
    views.push(project(id, record, loadState(id), loadLive(id)));
  }
  views.sort((a, b) => (a.record.Created < b.record.Created ? 1 : a.record.Created > b.record.Created ? -1 : 0));
  const explicitStatus = filters.has("status");
  if (opts.last !== undefined && opts.last > 0) views = views.slice(0, opts.last);
  else if (!opts.all && !explicitStatus) views = views.filter((v) => v.status === "running" || v.status === "paused" || v.status === "restarting");
  views = views.filter((v) => matches(v, filters));
  // before/since name a container: keep those created before/after it (Docker resolves them by name or id)
  for (const [k, cmp] of [["before", -1], ["since", 1]] as const) {
    for (const ref of filters.get(k) ?? []) {
      const pivot = loadRecord(resolveId(ref));
      if (pivot) views = views.filter((v) => Math.sign(Date.parse(v.record.Created) - Date.parse(pivot.Created)) === cmp);
    }
  }
  if (opts.size) for (const v of views) sizes(v);
  return views;
}

function parseFilters(items: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of items) {
    const i = f.indexOf("=");
    if (i <= 0) throw new BunkerError(`Error response from daemon: bad format of filter (expected name=value)`);
    const k = f.slice(0, i), val = f.slice(i + 1);
    if (!["status", "name", "label", "ancestor", "id", "exited", "before", "since"].includes(k))
      throw new BunkerError(`Error response from daemon: invalid filter '${k}'`);
    if (k === "status" && !STATUSES.includes(val))
      throw new BunkerError(`Error response from daemon: invalid filter 'status=${val}'`);
    out.set(k, [...(out.get(k) ?? []), val]);
  }
  return out;
}

function matches(v: ContainerView, f: Map<string, string[]>): boolean {
  const any = (k: string, pred: (x: string) => boolean) => !f.has(k) || f.get(k)!.some(pred);
  const labels = v.record.Config.Labels ?? {};
  return (
    any("status", (s) => s === v.status) &&
    any("id", (p) => v.id.startsWith(p)) &&
    any("name", (n) => safeRegex(n).test(v.record.Name.slice(1))) &&
    any("exited", (c) => v.status === "exited" && Number(c) === v.state.ExitCode) &&
    // all label filters must hold (Docker ANDs label filters)
    (f.get("label") ?? []).every((l) => {
      const i = l.indexOf("=");
      return i === -1 ? l in labels : labels[l.slice(0, i)] === l.slice(i + 1);
    }) &&
    any("ancestor", (a) => ancestorMatch(v, a))
  );
}

function safeRegex(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  }
}

/** image name with or without tag/registry, or an image id prefix */
function ancestorMatch(v: ContainerView, a: string): boolean {
  const img = v.record.Config.Image;
  const strip = (s: string) => s.replace(/^docker\.io\//, "").replace(/^library\//, "");
  const withTag = (s: string) => (/:[^/]+$/.test(s) || s.includes("@") ? s : `${s}:latest`);
  if (strip(withTag(img)) === strip(withTag(a))) return true;
  const hex = v.record.Image.replace(/^sha256:/, "");
  const want = a.replace(/^sha256:/, "");
  return /^[0-9a-f]{4,64}$/.test(want) && hex.startsWith(want);
}

export function sizes(v: ListedContainer): void {
  v.sizeRw = duBytes(v.record.GraphDriver.Data.UpperDir ?? "");
  v.sizeRootFs = v.sizeRw + v.record.Bunker.Lower.reduce((n, d) => n + duBytes(d), 0);
}

/** apparent size of a tree (what Docker's ps -s sums), symlinks not followed */
export function duBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) walk(p);
        else total += st.size;
      } catch {}
    }
  };
  walk(dir);
  return total;
}
