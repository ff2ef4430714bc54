/**
 * stats --no-stream: one sample per container from its cgroup. CPU % is Docker's formula: the container's
 * CPU time delta over the host's, times the number of CPUs, between two samples taken 1 s... here 500 ms
 * apart (Docker waits for its own 1 s stream tick; the figure is a rate either way).
 */
import { readFileSync } from "node:fs";
import { cgroupOf } from "./resources.ts";
import type { ContainerView } from "./status.ts";

export interface StatsSample {
  id: string;
  name: string;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  pids: number;
}

function hostCpuNs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0);
  return (ticks / 100) * 1e9;
}

export async function sampleStats(views: ContainerView[], intervalMs = 500): Promise<StatsSample[]> {
  const cpus = navigator.hardwareConcurrency || 1;
  const cgs = await Promise.all(views.map((v) => (v.status === "running" || v.status === "paused" ? cgroupOf(v.id) : null)));
  const first = cgs.map((cg) => safe(() => cg?.stats().cpuUsageNs ?? 0, 0));
  const host0 = hostCpuNs();
  if (cgs.some(Boolean)) await Bun.sleep(intervalMs);
  const host1 = hostCpuNs();
  return views.map((v, i) => {
    const cg = cgs[i];
    const s = cg ? safe(() => cg.stats(), null) : null;
    const cpuDelta = s ? s.cpuUsageNs - first[i]! : 0;
    const sysDelta = host1 - host0;
    return {
      id: v.id,
      name: v.record.Name.slice(1),
      cpuPercent: sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0,
      memUsage: s?.memoryUsage ?? 0,
      memLimit: s?.memoryLimit ?? 0,
      memPercent: s && s.memoryLimit > 0 ? (s.memoryUsage / s.memoryLimit) * 100 : 0,
      pids: s?.pids ?? 0,
    };
  });
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
