/**
 * `volume ls --filter`: dangling=true|false, name=, driver=, label=k[=v]. Values of one key are ORed,
 * different keys ANDed, as Docker's filters.Args. name and driver match like Go's regexp (substring).
 */
import { BunkerError } from "../../errors.ts";
import { listVolumes, splitKV } from "./store.ts";
import type { VolumeMeta } from "./types.ts";
import { allVolumeUsers } from "./users.ts";

const KEYS = new Set(["dangling", "name", "driver", "label"]);

export function listVolumesFiltered(filters: string[] = []): VolumeMeta[] {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const [k, v] = splitKV(f);
    if (v === undefined) throw new BunkerError("Error response from daemon: bad format of filter (expected name=value)");
    if (!KEYS.has(k)) throw new BunkerError(`Error response from daemon: Invalid filter '${k}'`);
    byKey.set(k, [...byKey.get(k) ?? [], v]);
  }
  let dangling: boolean | undefined;
  for (const v of byKey.get("dangling") ?? []) {
    const b = v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : undefined;
    if (b === undefined) throw new BunkerError(`Error response from daemon: Invalid filter 'dangling=[${v}]'`);
    dangling = b;
  }
  const users = dangling === undefined ? null : allVolumeUsers();
  const re = (s: string) => {
    try {
      return new RegExp(s);
    } catch {
      return { test: (x: string) => x.includes(s) };
    }
  };
  const names = (byKey.get("name") ?? []).map(re);
  const drivers = (byKey.get("driver") ?? []).map(re);
  const labels = (byKey.get("label") ?? []).map(splitKV);
  return listVolumes().filter((v) => {
    if (users && users.has(v.Name) === dangling) return false;
    if (names.length && !names.some((r) => r.test(v.Name))) return false;
    if (drivers.length && !drivers.some((r) => r.test(v.Driver))) return false;
    const l = v.Labels ?? {};
    // every label filter must hold (Docker's MatchKVList)
    return labels.every(([k, val]) => k in l && (val === undefined || l[k] === val));
  });
}
