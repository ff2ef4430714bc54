/**
 * Where container records live and how they are found. Persistent: root/containers/<id>/{config.json,
 * state.json, <id>-json.log, upper/, work/}. Runtime: run/containers/<id>/live.json (pids), so an empty
 * run dir after a reboot means "nothing is running". Names are reserved as files under
 * root/containers/_names/ while holding the global "containers" lock: 20 parallel `run --name x`
 * serialize on it and exactly one finds the name free.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dirs, paths } from "../../config.ts";
import { BunkerError, ConflictError, NotFoundError } from "../../errors.ts";
import { readJson, rmQuiet, withLock, writeJsonAtomic } from "./files.ts";
import { emptyState, type ContainerRecord, type LiveFile, type StateFile } from "./types.ts";

const ID_RE = /^[0-9a-f]{64}$/;
export const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export const cpaths = {
  dir: (id: string) => join(dirs.containers(), id),
  config: (id: string) => join(dirs.containers(), id, "config.json"),
  state: (id: string) => join(dirs.containers(), id, "state.json"),
  log: (id: string) => join(dirs.containers(), id, `${id}-json.log`),
  upper: (id: string) => join(dirs.containers(), id, "upper"),
  work: (id: string) => join(dirs.containers(), id, "work"),
  merged: (id: string) => join(dirs.containers(), id, "merged"),
  runDir: (id: string) => join(paths().run, "containers", id),
  live: (id: string) => join(paths().run, "containers", id, "live.json"),
  /** the last exit code of an --rm container, for a `wait` that loses the race with its removal */
  exit: (id: string) => join(paths().run, "exits", id),
  names: () => join(dirs.containers(), "_names"),
  name: (name: string) => join(dirs.containers(), "_names", name),
};

export function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  // Docker avoids all-numeric short ids (they read like numbers in scripts); so do we
  return /^\d{12}/.test(s) ? newId() : s;
}

export function listIds(): string[] {
  try {
    return readdirSync(dirs.containers()).filter((n) => ID_RE.test(n) && existsSync(cpaths.config(n)));
  } catch {
    return [];
  }
}

export function loadRecord(id: string): ContainerRecord | null {
  return readJson<ContainerRecord>(cpaths.config(id));
}

export function loadState(id: string): StateFile {
  return readJson<StateFile>(cpaths.state(id)) ?? emptyState();
}

export function loadLive(id: string): LiveFile | null {
  return readJson<LiveFile>(cpaths.live(id));
}

/**
 * Records of --rm containers created by this process: written without fsync. fsync only guards against
 * the machine crashing (a killed process leaves its writes in the page cache, so `ps` and `rm -f` still
 * see a whole record), and such a container would be deleted at exit anyway; the rename keeps every
 * write atomic. Saves 3-5 fsyncs (1-6 ms, more on a busy disk) on the `run --rm` path.
 */
const ephemeral = new Set<string>();
const durable = (id: string) => !ephemeral.has(id);

export function saveRecord(rec: ContainerRecord): void {
  writeJsonAtomic(cpaths.config(rec.Id), rec, durable(rec.Id));
}

export function writeLive(id: string, live: LiveFile): void {
  mkdirSync(cpaths.runDir(id), { recursive: true, mode: 0o700 });
  // no fsync: the file is on tmpfs and means nothing after a crash of the machine anyway
  writeJsonAtomic(cpaths.live(id), live, false);
}

export function clearLive(id: string): void {
  rmQuiet(cpaths.live(id));
  try {
    rmSync(cpaths.runDir(id), { recursive: true, force: true });
  } catch {}
}

/** read-modify-write of state.json under the container's lock; a change that changes nothing is not written */
export function updateState(id: string, fn: (s: StateFile) => StateFile | void): StateFile {
  return withLock(`ctr-${id}`, () => {
    const stored = readJson<StateFile>(cpaths.state(id));
    const cur = stored ?? emptyState();
    const before = stored ? JSON.stringify(stored) : null;
    const next = fn(cur) ?? cur;
    if (JSON.stringify(next) !== before) writeJsonAtomic(cpaths.state(id), next, durable(id));
    return next;
  });
}

/**
 * The container holding `name`: the id in its name file, if that container exists and still bears the
 * name. A rename killed between writing the new name file and removing the old one leaves a file whose
 * container has another name: that name is free, not held forever by a file nobody can remove.
 */
function nameOwner(name: string): string | null {
  const id = nameFileId(name);
  return id !== null && ID_RE.test(id) && loadRecord(id)?.Name === `/${name}` ? id : null;
}

function nameFileId(name: string): string | null {
  try {
    return readFileSync(cpaths.name(name), "utf8").trim();
  } catch {
    return null;
  }
}

/**
 * Removes name files that hold no name (see nameOwner): what a create or rename killed half-way leaves.
 * Under the global lock, where create and rename write them, so none of theirs is caught mid-way.
 */
export function dropStaleNames(): string[] {
  return withLock("containers", () => {
    const dropped: string[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(cpaths.names());
    } catch {}
    for (const n of names) {
      if (nameOwner(n) !== null) continue;
      rmQuiet(cpaths.name(n));
      dropped.push(n);
    }
    return dropped;
  });
}

/**
 * Lock files of containers that are gone: deleteRecord removes the lock after the record, so an `rm`
 * killed in between leaves it, and nothing names that id again. Swept under the global lock, which
 * record creation also holds, so no container can appear mid-sweep.
 */
export function dropStaleLocks(): string[] {
  return withLock("containers", () => {
    const dropped: string[] = [];
    let files: string[] = [];
    try {
      files = readdirSync(dirs.locks());
    } catch {}
    for (const f of files) {
      const id = /^ctr-([0-9a-f]{64})\.lock$/.exec(f)?.[1];
      if (!id || existsSync(cpaths.dir(id))) continue;
      rmQuiet(join(dirs.locks(), f));
      dropped.push(id);
    }
    return dropped;
  });
}

export function nameConflict(name: string, owner: string): ConflictError {
  return new ConflictError(
    `Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
    125,
  );
}

/** Writes a new record with its name reserved, under the global lock (the name check and the write are one step). */
export function insertRecord(rec: ContainerRecord, exitCode = 125): void {
  const name = rec.Name.slice(1);
  if (rec.HostConfig.AutoRemove) ephemeral.add(rec.Id);
  withLock("containers", () => {
    const owner = nameOwner(name);
    if (owner !== null) throw Object.assign(nameConflict(name, owner), { exitCode });
    // name first: a crash before config.json leaves a name whose owner does not exist (reads as free);
    // the other order could leave a container whose name a later create takes too
    mkdirSync(cpaths.names(), { recursive: true, mode: 0o700 });
    writeFileSync(cpaths.name(name), rec.Id);
    mkdirSync(cpaths.dir(rec.Id), { recursive: true, mode: 0o710 });
    writeJsonAtomic(cpaths.state(rec.Id), emptyState(), durable(rec.Id));
    saveRecord(rec);
  });
}

export function renameRecord(id: string, newName: string): void {
  withLock("containers", () => {
    const rec = loadRecord(id);
    if (!rec) throw new NotFoundError("container", id);
    const owner = nameOwner(newName);
    if (owner !== null) throw new ConflictError(`Error response from daemon: Error when allocating new name: Conflict. The container name "/${newName}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    const old = rec.Name.slice(1);
    rec.Name = `/${newName}`;
    mkdirSync(cpaths.names(), { recursive: true, mode: 0o700 });
    writeFileSync(cpaths.name(newName), id);
    saveRecord(rec);
    // by the file's content: nameOwner no longer answers for a name the record has left
    if (nameFileId(old) === id) rmQuiet(cpaths.name(old));
  });
}

/** removes every persistent and runtime file of a container; the caller has stopped it */
export function deleteRecord(id: string): void {
  withLock("containers", () => {
    const rec = loadRecord(id);
    if (rec && nameOwner(rec.Name.slice(1)) === id) rmQuiet(cpaths.name(rec.Name.slice(1)));
    // config.json first: from then on the container does not exist for anyone, so no reader can
    // see a record whose state.json is already gone (it would read as a fresh "created" container)
    rmQuiet(cpaths.config(id));
    rmSync(cpaths.dir(id), { recursive: true, force: true });
  });
  clearLive(id);
  rmQuiet(join(dirs.locks(), `ctr-${id}.lock`));
}

/** Docker's order: full id, then exact name, then unique id prefix */
export function resolveId(ref: string): string {
  const r = ref.startsWith("/") ? ref.slice(1) : ref;
  if (ID_RE.test(r) && existsSync(cpaths.config(r))) return r;
  if (r.length > 0 && NAME_RE.test(r)) {
    const byName = nameOwner(r);
    if (byName) return byName;
  }
  if (/^[0-9a-f]+$/.test(r)) {
    const hits = listIds().filter((id) => id.startsWith(r));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new BunkerError(`Error response from daemon: multiple IDs found with provided prefix: ${r}`);
  }
  throw new NotFoundError("container", ref);
}

/** Docker's random names: adjective_surname */
const LEFT = ["admiring", "bold", "brave", "clever", "eager", "focused", "gallant", "happy", "jolly", "keen", "lucid", "modest", "nifty", "quirky", "serene", "stoic", "tender", "vibrant", "wizardly", "zealous"];
const RIGHT = ["archimedes", "babbage", "curie", "darwin", "euler", "feynman", "galois", "hopper", "hypatia", "kepler", "lovelace", "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "wozniak", "yalow", "zuse"];

export function randomName(): string {
  for (let i = 0; ; i++) {
    const pick = (a: string[]) => a[Math.floor(Math.random() * a.length)]!;
    const name = `${pick(LEFT)}_${pick(RIGHT)}${i > 5 ? Math.floor(Math.random() * 10) : ""}`;
    if (nameOwner(name) === null) return name;
  }
}
