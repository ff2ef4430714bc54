/**
 * Orphans: what a crash can leave of a container whose record is gone (or never got written): its
 * cgroups under <cgroupfs>/<ctrl>/<parent>/<id> (v1) or <cgroup2>/<parent>/<id> (v2), mounts under
 * containers/<id>/, a live.json with a supervisor, a record dir without config.json. `repairOrphans`
 * removes them; run by `system boot`, `rm -f` and `container prune`. It never touches an id that has a
 * record (a start makes its cgroup only once the record exists: create writes it first), and never a
 * cgroup with live processes unless the id is ours (a dir of this root names it): another root may
 * share the cgroup parent.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirs } from "../../config.ts";
import { cleanupOrphans, cgroupManager } from "../../runtime/cgroups/index.ts";
import { LinuxSys } from "../../sys/linux.ts";
import { rmQuiet, withLock } from "./files.ts";
import { isAlive, signalIfSame, waitGone } from "./procs.ts";
import { CGROUP_PARENT, CGROUP_ROOT } from "./resources.ts";
import { SIGKILL } from "./signals.ts";
import { clearLive, cpaths, dropStaleLocks, dropStaleNames, loadLive } from "./store.ts";

const ID_RE = /^[0-9a-f]{64}$/;
/** an empty cgroup of another root younger than this may be a start between mkdir and join */
const FOREIGN_GRACE_MS = 60_000;

export interface RepairResult {
  /** ids whose cgroups, mounts or leftover files were removed */
  repaired: string[];
  errors: Error[];
}

const hasRecord = (id: string) => existsSync(cpaths.config(id));
const ours = (id: string) => existsSync(cpaths.dir(id)) || existsSync(cpaths.runDir(id));

export async function repairOrphans(): Promise<RepairResult> {
  const repaired = new Set<string>();
  const errors: Error[] = [];
  const mounts = mountsByContainer();
  const local = new Set([...listIds(dirs.containers()), ...listIds(cpaths.runDir("")), ...mounts.keys()]);

  // our ids first: the supervisor goes before the cgroup, or it would restart the container into a new one
  for (const id of local) {
    if (hasRecord(id)) continue;
    const live = loadLive(id);
    if (live) {
      for (const [pid, start] of [[live.SupervisorPid, live.SupervisorStart], [live.Pid, live.PidStart]] as const) {
        if (pid === process.pid || !isAlive(pid, start)) continue;
        signalIfSame(pid, start, SIGKILL);
        await waitGone(pid, start, 2000);
      }
    }
  }
  const cg = await cleanupOrphans((id) => !ID_RE.test(id) || hasRecord(id) || (!ours(id) && foreignBusy(id)), {
    root: CGROUP_ROOT,
    parent: CGROUP_PARENT,
  });
  for (const id of cg.removed) repaired.add(id);
  errors.push(...cg.errors);

  for (const id of local) {
    if (hasRecord(id)) continue;
    for (const t of mounts.get(id) ?? []) {
      try {
        new LinuxSys().umount2(t, 2 /* MNT_DETACH */);
      } catch (e) {
        errors.push(e as Error);
      }
    }
    // a dir still holding a mount must not be deleted: rm would go into the mounted tree
    if (mountsByContainer().has(id)) continue;
    // create writes dir and record under this lock: a dir without a record seen here is a leftover
    const gone = withLock("containers", () => {
      if (hasRecord(id)) return false;
      clearLive(id);
      rmSync(cpaths.dir(id), { recursive: true, force: true });
      return true;
    });
    if (!gone) continue;
    rmQuiet(`${dirs.locks()}/ctr-${id}.lock`);
    repaired.add(id);
  }
  // name files of containers that never got (or no longer have) that name, locks of containers gone
  try {
    dropStaleNames();
    dropStaleLocks();
  } catch (e) {
    errors.push(e as Error);
  }
  return { repaired: [...repaired], errors };
}

/** Keep another root's cgroup while it has processes or was made a moment ago (its start may be under way). */
function foreignBusy(id: string): boolean {
  try {
    const m = cgroupManager(id, { root: CGROUP_ROOT, parent: CGROUP_PARENT });
    if (m.pids().length > 0) return true;
    return Object.values(m.paths).some((p) => existsSync(p) && Date.now() - statSync(p).mtimeMs < FOREIGN_GRACE_MS);
  } catch {
    return true;
  }
}

/** container id -> mount points under root/containers/<id>/ (deepest first), from our mountinfo */
function mountsByContainer(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const base = `${dirs.containers()}/`;
  let info = "";
  try {
    info = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return out;
  }
  for (const line of info.split("\n")) {
    const t = line.split(" ")[4]?.replace(/\\040/g, " ");
    if (!t?.startsWith(base)) continue;
    const id = t.slice(base.length).split("/")[0]!;
    if (!ID_RE.test(id)) continue;
    out.set(id, [...(out.get(id) ?? []), t]);
  }
  for (const list of out.values()) list.sort((a, b) => b.length - a.length);
  return out;
}

function listIds(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => ID_RE.test(n));
  } catch {
    return [];
  }
}
