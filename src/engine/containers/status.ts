/**
 * The truthful status of a container: what state.json says, checked against the processes that should
 * exist. A record saying "running" whose supervisor and PID 1 are both gone (kill -9, reboot) reads as
 * exited; verbs then repair the files (`reconcile`) before acting.
 */
import { isAlive } from "./procs.ts";
import { cgroupFrozen } from "./resources.ts";
import { loadLive, loadRecord, loadState } from "./store.ts";
import type { ContainerRecord, ContainerStatus, LiveFile, StateFile } from "./types.ts";

export interface ContainerView {
  id: string;
  record: ContainerRecord;
  state: StateFile;
  live: LiveFile | null;
  status: ContainerStatus;
  /** PID 1 is alive (and is the process we launched) */
  running: boolean;
  /** whoever waits on PID 1 is alive */
  supervised: boolean;
  /** the files claim more life than there is; reconcile() will fix them */
  stale: boolean;
}

export function viewOf(id: string): ContainerView | null {
  const record = loadRecord(id);
  if (!record) return null;
  return project(id, record, loadState(id), loadLive(id));
}

export function project(id: string, record: ContainerRecord, state: StateFile, live: LiveFile | null): ContainerView {
  const running = live !== null && isAlive(live.Pid, live.PidStart);
  const supervised = live !== null && isAlive(live.SupervisorPid, live.SupervisorStart);
  let status = state.Status;
  let stale = false;
  if (status === "running" || status === "paused" || status === "restarting") {
    if (!running && !supervised) {
      status = "exited";
      stale = true;
    } else if (status === "restarting" && !supervised) {
      status = "exited";
      stale = true;
    } else if (running && status !== "restarting") {
      // paused or not is the freezer's word (see cgroupFrozen); refresh() brings state.json in line
      const frozen = cgroupFrozen(id);
      if (frozen !== null) status = frozen ? "paused" : "running";
    }
  }
  const shown = stale ? { ...state, Status: status, ExitCode: state.ExitCode || 255 } : status !== state.Status ? { ...state, Status: status } : state;
  return { id, record, state: shown, live, status, running, supervised, stale };
}

/** Docker's State object for inspect and templates */
export function dockerState(v: ContainerView) {
  const s = v.state;
  return {
    Status: v.status,
    Running: v.status === "running" || v.status === "paused" || v.status === "restarting",
    Paused: v.status === "paused",
    Restarting: v.status === "restarting",
    OOMKilled: s.OOMKilled,
    Dead: v.status === "dead",
    Pid: v.running && v.live ? v.live.Pid : 0,
    ExitCode: s.ExitCode,
    Error: s.Error,
    StartedAt: s.StartedAt,
    FinishedAt: s.FinishedAt,
  };
}
