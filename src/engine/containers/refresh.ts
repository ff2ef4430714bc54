/**
 * refresh → guard → act → save. `refresh` loads a container by reference and, when its files claim more
 * life than its processes have (supervisor and PID 1 killed, machine rebooted), repairs them: status
 * exited, runtime files gone, cgroup and mounts released. `cleanupRuntime` is that repair, also used by
 * `rm -f`; it only needs the id, so it works whatever state a crash left behind.
 */
import { readFileSync } from "node:fs";
import { SIGKILL } from "./signals.ts";
import { isAlive, signalIfSame, waitGone } from "./procs.ts";
import { cgroupOf } from "./resources.ts";
import { project, viewOf, type ContainerView } from "./status.ts";
import { releaseVolumes } from "../volumes/index.ts";
import { clearLive, cpaths, loadLive, loadRecord, loadState, resolveId, updateState } from "./store.ts";
import { NotFoundError } from "../../errors.ts";
import { LinuxSys } from "../../sys/linux.ts";

export async function refresh(ref: string): Promise<ContainerView> {
  const id = resolveId(ref);
  const v = viewOf(id);
  if (!v) throw new NotFoundError("container", ref);
  if (!v.stale) {
    // a pause/unpause killed between its freezer write and its state write: the file follows the freezer
    if ((v.status === "running" || v.status === "paused") && loadState(id).Status !== v.status)
      updateState(id, (s) => void ((s.Status === "running" || s.Status === "paused") && (s.Status = v.status)));
    return v.state.PausedBy ? thawIfOrphaned(v) : v;
  }
  await cleanupRuntime(id);
  const state = updateState(id, (s) => {
    if (s.Status === "running" || s.Status === "paused" || s.Status === "restarting") {
      s.Status = "exited";
      // the real exit status died with its supervisor; Docker reports 255 after a daemon crash
      if (s.ExitCode === 0) s.ExitCode = 255;
      s.FinishedAt = new Date().toISOString();
    }
  });
  return project(id, v.record, state, null);
}

/**
 * A pause whose owner (a commit) died before undoing it: thawed, so a kill -9 of `commit` does not leave
 * the container frozen. A pause the user asked for (`bunker pause`) has no owner and stays.
 */
async function thawIfOrphaned(v: ContainerView): Promise<ContainerView> {
  const by = v.state.PausedBy!;
  if (isAlive(by.Pid, by.Start)) return v;
  if (v.state.Status === "paused") {
    try {
      await (await cgroupOf(v.id)).thaw();
    } catch {
      return v; // the freezer refused: still paused, and said so
    }
  }
  const state = updateState(v.id, (s) => {
    if (s.Status === "paused") s.Status = "running";
    delete s.PausedBy;
  });
  return project(v.id, v.record, state, v.live);
}

/** releases everything a (possibly crashed) run of the container holds; idempotent */
export async function cleanupRuntime(id: string): Promise<void> {
  const live = loadLive(id);
  try {
    const cg = await cgroupOf(id);
    try {
      await cg.thaw();
    } catch {}
    await cg.destroy();
  } catch {
    // no cgroup (never started, or already destroyed)
  }
  if (live) {
    if (isAlive(live.Pid, live.PidStart)) {
      signalIfSame(live.Pid, live.PidStart, SIGKILL);
      await waitGone(live.Pid, live.PidStart, 2000);
    }
    if (live.SupervisorPid !== process.pid && isAlive(live.SupervisorPid, live.SupervisorStart)) {
      signalIfSame(live.SupervisorPid, live.SupervisorStart, SIGKILL);
      await waitGone(live.SupervisorPid, live.SupervisorStart, 2000);
    }
  }
  unmountUnder(cpaths.dir(id));
  const rec = loadRecord(id);
  if (rec?.Mounts.length) releaseVolumes(rec.Mounts, id);
  clearLive(id);
}

/** any mount left under the container dir by a crashed run (overlay rootfs mounted on the host) */
function unmountUnder(dir: string): void {
  let info = "";
  try {
    info = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return;
  }
  const targets = info
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((t): t is string => !!t && (t === dir || t.startsWith(`${dir}/`)))
    .map((t) => t.replace(/\\040/g, " "))
    .sort((a, b) => b.length - a.length);
  if (targets.length === 0) return;
  const sys = new LinuxSys();
  for (const t of targets) {
    try {
      sys.umount2(t, 2 /* MNT_DETACH */);
    } catch {}
  }
}
