/**
 * Who uses a volume. "In use" (volume rm, prune, dangling) means: some container record, running or not,
 * lists it in Mounts, as in Docker. Read straight from containers/<id>/config.json so this module does
 * not depend on the containers engine (which depends on us).
 *
 * Between planMounts (volumes created) and the container record being written there is a window in
 * which `volume rm` would see no user. planMounts therefore leaves a claim, run/volume-claims/<id>.json
 * {pid, at, volumes}; it counts as a user while its process lives, for at most CLAIM_TTL_MS, and only
 * until containers/<id>/config.json exists (from then on the record speaks). No one has to delete it.
 *
 * Active mounts are a different question: a local volume with -o type/device is mounted on _data while a
 * running container needs it. Those users are files run/volumes/<name>/<container id>, so the count
 * survives across CLI processes, and a reboot (empty run dir, no mounts) resets both together.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dirs, paths } from "../../config.ts";

const ID_RE = /^[0-9a-f]{64}$/;
const CLAIM_TTL_MS = 30_000;

interface RecordMounts {
  Mounts?: Array<{ Type?: string; Name?: string }> | null;
}

/** Ids of containers whose record mounts volume `name`, sorted. */
export function volumeUsers(name: string): string[] {
  return [...allVolumeUsers().get(name) ?? []].sort();
}

/** volume name -> container ids, from one pass over all records (ls/prune ask for every volume). */
export function allVolumeUsers(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (name: string, id: string) => {
    const set = out.get(name) ?? new Set<string>();
    set.add(id);
    out.set(name, set);
  };
  for (const [id, names] of liveClaims()) for (const n of names) add(n, id);
  let ids: string[];
  try {
    ids = readdirSync(dirs.containers()).filter((n) => ID_RE.test(n));
  } catch {
    return out;
  }
  for (const id of ids) {
    let rec: RecordMounts;
    try {
      rec = JSON.parse(readFileSync(join(dirs.containers(), id, "config.json"), "utf8")) as RecordMounts;
    } catch {
      continue; // being created or removed right now
    }
    for (const m of rec.Mounts ?? []) {
      if (m?.Type === "volume" && typeof m.Name === "string") add(m.Name, id);
    }
  }
  return out;
}

const claimsDir = () => join(paths().run, "volume-claims");
const recordExists = (id: string) => existsSync(join(dirs.containers(), id, "config.json"));

/** Marks `volumes` as about to be used by container `id` (see the module comment). */
export function claimVolumes(id: string, volumes: string[]): void {
  mkdirSync(claimsDir(), { recursive: true, mode: 0o700 });
  writeFileSync(join(claimsDir(), `${id}.json`), JSON.stringify({ pid: process.pid, at: Date.now(), volumes }));
}

/** Ends a claim: once the record is written (create), or when the plan is discarded. Idempotent. */
export function dropVolumeClaim(id: string): void {
  rmSync(join(claimsDir(), `${id}.json`), { force: true });
}

/** Claims still in force, container id -> volume names; expired ones are deleted on the way. */
function liveClaims(): Array<[string, string[]]> {
  let files: string[];
  try {
    files = readdirSync(claimsDir());
  } catch {
    return [];
  }
  const out: Array<[string, string[]]> = [];
  for (const f of files) {
    const id = f.replace(/\.json$/, "");
    const path = join(claimsDir(), f);
    let c: { pid: number; at: number; volumes: string[] };
    try {
      c = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      continue; // being written
    }
    if (Date.now() - c.at < CLAIM_TTL_MS && alive(c.pid) && !recordExists(id)) out.push([id, c.volumes]);
    else rmSync(path, { force: true });
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const activeDir = (name: string) => join(paths().run, "volumes", name);

/** Records that `containerId` needs the volume mounted; true when it is the first such user. */
export function addActiveUser(name: string, containerId: string): boolean {
  const first = activeUsers(name).length === 0;
  mkdirSync(activeDir(name), { recursive: true, mode: 0o700 });
  writeFileSync(join(activeDir(name), containerId), "");
  return first;
}

/**
 * Drops `containerId` (idempotent); returns the users left. Users whose container record is gone are
 * dropped too: they were removed without a release (a crash), and must not pin the mount forever.
 */
export function removeActiveUser(name: string, containerId: string): string[] {
  rmSync(join(activeDir(name), containerId), { force: true });
  for (const u of activeUsers(name)) if (!recordExists(u)) rmSync(join(activeDir(name), u), { force: true });
  const left = activeUsers(name);
  if (left.length === 0) rmSync(activeDir(name), { recursive: true, force: true });
  return left;
}

export function activeUsers(name: string): string[] {
  try {
    return readdirSync(activeDir(name)).filter((n) => !n.startsWith("."));
  } catch {
    return [];
  }
}

export function clearActiveUsers(name: string): void {
  rmSync(activeDir(name), { recursive: true, force: true });
}
