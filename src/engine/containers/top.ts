/**
 * top: the container's processes from its cgroup, shown like `ps -ef` (UID PID PPID C STIME TTY TIME
 * CMD), read straight from /proc so no ps binary is needed on the host.
 */
import { readFileSync } from "node:fs";
import { ConflictError } from "../../errors.ts";
import { procStat } from "./procs.ts";
import { refresh } from "./refresh.ts";
import { cgroupOf } from "./resources.ts";

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

const HZ = 100;

export async function topContainer(ref: string): Promise<TopResult> {
  const v = await refresh(ref);
  if (v.status !== "running" && v.status !== "paused") throw new ConflictError(`Error response from daemon: container ${v.id} is not running`);
  const cg = await cgroupOf(v.id);
  const boot = bootTimeSec();
  const users = hostUsers();
  const rows: string[][] = [];
  for (const pid of cg.pids().sort((a, b) => a - b)) {
    const st = procStat(pid);
    if (!st) continue;
    let uid = 0;
    let cmd = "";
    try {
      uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    } catch {}
    const startSec = boot + st.start / HZ;
    const cpuSec = Math.floor((st.utime + st.stime) / HZ);
    const d = new Date(startSec * 1000);
    const stime = Date.now() - d.getTime() < 86_400_000 ? d.toTimeString().slice(0, 5) : d.toDateString().slice(4, 10);
    const hh = String(Math.floor(cpuSec / 3600)).padStart(2, "0");
    const mm = String(Math.floor((cpuSec % 3600) / 60)).padStart(2, "0");
    const ss = String(cpuSec % 60).padStart(2, "0");
    rows.push([users.get(uid) ?? String(uid), String(pid), String(st.ppid), "0", stime, "?", `${hh}:${mm}:${ss}`, cmd || `[${st.comm}]`]);
  }
  return { Titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], Processes: rows };
}

function bootTimeSec(): number {
  try {
    return Number(/^btime (\d+)/m.exec(readFileSync("/proc/stat", "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Docker's top runs ps on the host, so names come from the host's passwd */
function hostUsers(): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const l of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = l.split(":");
      if (f.length > 3) m.set(Number(f[2]), f[0]!);
    }
  } catch {}
  return m;
}
