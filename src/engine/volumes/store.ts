/**
 * Local volumes: volumes/<name>/{volume.json,_data}. A volume appears whole or not at all: it is built
 * in volumes/.tmp-<rand>/ (flocked while in progress) and renamed into place; removal renames it to
 * volumes/.rm-<rand>/ before deleting. `repairVolumes` clears what a crash left of either. Changes to one
 * volume run under the run-dir lock "volume-<name>", so create/rm/mount of the same name serialize.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { dirs } from "../../config.ts";
import { BunkerError, ConflictError, NotFoundError } from "../../errors.ts";
import { atomicWrite, FileLock, fsyncDir } from "../../image/_fs.ts";
import { linuxSys } from "../../sys/linux.ts";
import type { Sys } from "../../sys/sys.ts";
import { withLock } from "../containers/files.ts";
import { isMountPoint, mountLocal, needsMount, unmountLocal, validateDriverOpts } from "./local.ts";
import { treeSize } from "./size.ts";
import { ANONYMOUS_LABEL, type VolumeMeta, type VolumeView } from "./types.ts";
import { activeUsers, addActiveUser, allVolumeUsers, clearActiveUsers, removeActiveUser, volumeUsers } from "./users.ts";

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const TMP_PREFIX = ".tmp-";
const RM_PREFIX = ".rm-";

export const vpaths = {
  dir: (name: string) => join(dirs.volumes(), name),
  meta: (name: string) => join(dirs.volumes(), name, "volume.json"),
  data: (name: string) => join(dirs.volumes(), name, "_data"),
};

export interface CreateVolumeOptions {
  /** omitted: a random 64-hex name (an anonymous volume when `anonymous` is set) */
  name?: string;
  driver?: string;
  labels?: Record<string, string> | null;
  options?: Record<string, string> | null;
  anonymous?: boolean;
}

/** moby's validateName, same wording (the caller prefixes "create NAME: "). */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw new BunkerError("volume name is too short, names should be at least two alphanumeric characters");
  if (!NAME_RE.test(name)) {
    throw new BunkerError(
      `${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

export function randomVolumeName(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}

/**
 * Creates a volume, or returns the existing one of that name unchanged (Docker's idempotent create).
 * Errors read "Error response from daemon: create NAME: ...".
 */
export function createVolume(opts: CreateVolumeOptions = {}): { volume: VolumeMeta; created: boolean } {
  const name = opts.name ?? randomVolumeName();
  try {
    validateVolumeName(name);
    const driver = opts.driver ?? "local";
    if (driver !== "local") throw new BunkerError(`error looking up volume plugin ${driver}: plugin ${JSON.stringify(driver)} not found`);
    if (opts.options && Object.keys(opts.options).length) validateDriverOpts(opts.options);
  } catch (err) {
    throw new BunkerError(`Error response from daemon: create ${name}: ${(err as Error).message}`, { cause: err });
  }
  return withLock(`volume-${name}`, () => {
    const existing = readMeta(name);
    if (existing) return { volume: existing, created: false };
    mkdirSync(dirs.volumes(), { recursive: true, mode: 0o701 });
    if (existsSync(vpaths.dir(name))) discard(vpaths.dir(name)); // debris without volume.json
    const labels = opts.labels ?? (opts.anonymous ? {} : null);
    if (opts.anonymous && labels) labels[ANONYMOUS_LABEL] = "";
    const meta: VolumeMeta = {
      Name: name,
      Driver: "local",
      Labels: labels,
      Options: opts.options ?? null,
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      Anonymous: !!opts.anonymous,
    };
    const tmp = join(dirs.volumes(), `${TMP_PREFIX}${randomVolumeName().slice(0, 12)}`);
    mkdirSync(tmp, { mode: 0o701 });
    const lock = FileLock.tryAcquire(tmp);
    try {
      mkdirSync(join(tmp, "_data"), { mode: 0o755 });
      atomicWrite(join(tmp, "volume.json"), JSON.stringify(meta, null, 2), 0o600);
      renameSync(tmp, vpaths.dir(name));
      fsyncDir(dirs.volumes());
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    } finally {
      lock?.release();
    }
    return { volume: meta, created: true };
  });
}

function readMeta(name: string): VolumeMeta | null {
  if (!NAME_RE.test(name)) return null;
  try {
    return JSON.parse(readFileSync(vpaths.meta(name), "utf8")) as VolumeMeta;
  } catch {
    return null;
  }
}

/** The volume, or NotFoundError("volume", name). */
export function getVolume(name: string): VolumeMeta {
  const meta = readMeta(name);
  if (!meta) throw new NotFoundError("volume", name);
  return meta;
}

export function volumeExists(name: string): boolean {
  return readMeta(name) !== null;
}

export function listVolumes(): VolumeMeta[] {
  let names: string[];
  try {
    names = readdirSync(dirs.volumes());
  } catch {
    return [];
  }
  const out: VolumeMeta[] = [];
  for (const n of names) {
    const m = n.startsWith(".") ? null : readMeta(n);
    if (m) out.push(m);
  }
  return out;
}

export function volumeView(meta: VolumeMeta): VolumeView {
  return {
    CreatedAt: meta.CreatedAt,
    Driver: meta.Driver,
    Labels: meta.Labels,
    Mountpoint: vpaths.data(meta.Name),
    Name: meta.Name,
    Options: meta.Options,
    Scope: "local",
  };
}

/**
 * Removes a volume unless a container record uses it ("volume is in use - [ids]", 409 in Docker).
 * `force` (rm -f) only forgives a missing volume, as in Docker; it never removes a volume in use.
 */
export function removeVolume(name: string, opts: { force?: boolean; sys?: Sys } = {}): boolean {
  return withLock(`volume-${name}`, () => {
    if (!readMeta(name)) {
      if (opts.force) return false;
      throw new NotFoundError("volume", name);
    }
    const users = volumeUsers(name);
    if (users.length) throw new ConflictError(`Error response from daemon: remove ${name}: volume is in use - [${users.join(", ")}]`);
    unmountLocal(opts.sys ?? linuxSys(), vpaths.data(name));
    clearActiveUsers(name);
    discard(vpaths.dir(name));
    return true;
  });
}

/**
 * Renames `dir` out of the namespace (so it vanishes in one step), then deletes it. Refuses while
 * anything is mounted below it: deleting through a bind-style volume would delete the host's files.
 */
function discard(dir: string): void {
  unmountLocal(linuxSys(), join(dir, "_data"));
  if (mountedBelow(dir)) throw new BunkerError(`Error response from daemon: ${dir} still has mounts below it; not removing`);
  const gone = join(dirs.volumes(), `${RM_PREFIX}${randomVolumeName().slice(0, 12)}`);
  renameSync(dir, gone);
  fsyncDir(dirs.volumes());
  rmSync(gone, { recursive: true, force: true });
}

function mountedBelow(dir: string): boolean {
  let info = "";
  try {
    info = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {}
  return info.split("\n").some((l) => {
    const mp = (l.split(" ")[4] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    return mp === dir || mp.startsWith(`${dir}/`);
  });
}

export interface PruneResult {
  deleted: string[];
  /** bytes of the removed volumes' files */
  reclaimed: number;
}

/**
 * Removes unused volumes: anonymous ones only, or every unused one with `all` (Docker 23+). `filters`
 * takes label=k[=v] and label!=k[=v] as `volume prune --filter` does.
 */
export function pruneVolumes(opts: { all?: boolean; filters?: string[]; sys?: Sys } = {}): PruneResult {
  // Docker 23+ spells -a also as --filter all=true
  const all = opts.all || (opts.filters ?? []).some((f) => f === "all=true" || f === "all=1");
  const labelFilters = parsePruneFilters(opts.filters ?? []);
  repairVolumes(); // no daemon does it at startup: prune is where users expect space back
  const users = allVolumeUsers();
  const res: PruneResult = { deleted: [], reclaimed: 0 };
  for (const v of listVolumes()) {
    if (users.has(v.Name)) continue;
    if (!all && !isAnonymous(v)) continue;
    if (!labelFilters.every((f) => f(v.Labels ?? {}))) continue;
    const size = treeSize(vpaths.data(v.Name));
    try {
      if (removeVolume(v.Name, { force: true, sys: opts.sys })) {
        res.deleted.push(v.Name);
        res.reclaimed += size;
      }
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // a container took it meanwhile: keep it
    }
  }
  return res;
}

export function isAnonymous(v: VolumeMeta): boolean {
  return v.Anonymous || (v.Labels !== null && ANONYMOUS_LABEL in v.Labels);
}

function parsePruneFilters(filters: string[]): Array<(labels: Record<string, string>) => boolean> {
  return filters.map((f) => {
    const m = /^(label!?)=(.*)$/.exec(f);
    if (!m) {
      const key = f.split("=")[0]!;
      if (key === "all" && /^all=(true|false|1|0)$/.test(f)) return () => true;
      throw new BunkerError(`Error response from daemon: invalid filter '${key}'`);
    }
    const [k, v] = splitKV(m[2]!);
    const has = (l: Record<string, string>) => k in l && (v === undefined || l[k] === v);
    return m[1] === "label" ? has : (l) => !has(l);
  });
}

export function splitKV(s: string): [string, string | undefined] {
  const i = s.indexOf("=");
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** Clears crash debris: .tmp-* dirs nobody holds a lock on, and .rm-* dirs. Returns what was removed. */
export function repairVolumes(): string[] {
  let names: string[];
  try {
    names = readdirSync(dirs.volumes());
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const p = join(dirs.volumes(), n);
    if (n.startsWith(TMP_PREFIX)) {
      const lock = FileLock.tryAcquire(p);
      if (!lock) continue; // a create in progress
      lock.release();
    } else if (!n.startsWith(RM_PREFIX)) continue;
    unmountLocal(linuxSys(), join(p, "_data"));
    if (mountedBelow(p)) continue;
    rmSync(p, { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

/**
 * Makes a volume ready for `containerId`: for a local volume with -o type/device, mounts it on _data
 * when the first user arrives. Call before the container's init starts (it binds _data). Returns _data.
 */
export function ensureMounted(name: string, containerId: string, sys: Sys = linuxSys()): string {
  return withLock(`volume-${name}`, () => {
    const meta = getVolume(name);
    const data = vpaths.data(name);
    if (!needsMount(meta.Options)) return data;
    addActiveUser(name, containerId);
    if (!isMountPoint(data)) {
      try {
        mountLocal(sys, data, meta.Options!);
      } catch (err) {
        removeActiveUser(name, containerId);
        throw err;
      }
    }
    return data;
  });
}

/** The container no longer needs the volume: unmount when it was the last active user. Idempotent. */
export function releaseIfUnused(name: string, containerId: string, sys: Sys = linuxSys()): void {
  withLock(`volume-${name}`, () => {
    const left = removeActiveUser(name, containerId);
    if (left.length === 0 && readMeta(name) && needsMount(readMeta(name)!.Options)) unmountLocal(sys, vpaths.data(name));
  });
}

export { activeUsers };
