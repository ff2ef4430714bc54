/**
 * The cgroup contract shared by the v1 and v2 managers (youki libcgroups `CgroupManager`, crun's
 * cgroup manager vtable). The engine only sees this interface; which version sits behind it is decided
 * once by `cgroupManager()`.
 */
import { BunkerError } from "../../errors.ts";
import type { Sys } from "../../sys/sys.ts";

/** Docker's resource flags, in Docker's units (bytes, CFS microseconds, shares). */
export interface Resources {
  /** -m/--memory, bytes; 0/undefined = unlimited */
  memory?: number;
  /** --memory-swap: memory + swap in bytes (Docker semantics); -1 = unlimited swap */
  memorySwap?: number;
  /** --memory-reservation, bytes (v1 soft limit, v2 memory.low) */
  memoryReservation?: number;
  /** --cpu-shares (v1 cpu.shares, 2..262144; converted to cpu.weight on v2) */
  cpuShares?: number;
  /** --cpus as nano CPUs: --cpus=1.5 → 1.5e9 (period 100000 µs, quota scaled) */
  nanoCpus?: number;
  /** --cpu-period, µs */
  cpuPeriod?: number;
  /** --cpu-quota, µs; -1 = unlimited */
  cpuQuota?: number;
  /** --cpuset-cpus, "0-2,4" */
  cpusetCpus?: string;
  /** --cpuset-mems */
  cpusetMems?: string;
  /** --pids-limit; 0 or -1 = unlimited */
  pidsLimit?: number;
  /**
   * device allow rules ("c 1:3 rwm"); undefined = Docker's default list, ["a *:* rwm"] for --privileged.
   * v1 writes them to devices.allow, v2 compiles them into a BPF device program.
   */
  devices?: string[];
}

export interface CgroupStats {
  /** bytes charged to the cgroup (page cache included, as the kernel counts it) */
  memoryUsage: number;
  /** the effective limit; the host's RAM when unlimited (what `docker stats` shows); 0 without a memory controller */
  memoryLimit: number;
  /** total CPU time of all tasks, ns */
  cpuUsageNs: number;
  pids: number;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** controller -> directory of this container's cgroup (v2: the single dir under "unified") */
  readonly paths: Record<string, string>;
  /** what this host supports (Docker's sysinfo), for validating limits before anything is made */
  sysInfo(): CgroupSysInfo;
  /** mkdir + write limits after Docker's validation; returns Docker's warnings (e.g. no swap accounting) */
  create(resources: Resources): string[];
  addProcess(pid: number): void;
  /** the cgroup.procs files a process (exec) must write its pid into to join the container */
  procsFiles(): string[];
  /** live change (bunker update): only the fields given are written */
  update(resources: Resources): string[];
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  frozen(): boolean;
  pids(): number[];
  stats(): CgroupStats;
  /** true once the kernel OOM killer killed a task of this cgroup */
  oomKilled(): boolean;
  /** SIGKILL what is left (bounded wait), rmdir every dir; safe to call twice */
  destroy(): Promise<void>;
}

/** What the kernel/cgroup offers, as Docker's sysinfo sees it; decides warnings vs. writes. */
export interface CgroupSysInfo {
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  pidsLimit: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuset: boolean;
  /** "0-1" */
  cpus: string;
  mems: string;
  numCpu: number;
}

/** A cgroup failure or a refused resource value; exit 125 like Docker's daemon errors in `run`. */
export class CgroupError extends BunkerError {
  readonly path?: string;
  readonly code?: string;
  constructor(message: string, opts: { path?: string; code?: string; cause?: unknown } = {}) {
    super(message, { exitCode: 125, cause: opts.cause });
    this.name = "CgroupError";
    if (opts.path !== undefined) this.path = opts.path;
    if (opts.code !== undefined) this.code = opts.code;
  }
}

export interface ManagerOptions {
  /** cgroupfs mount root; tests pass a tempdir of fixture files */
  root: string;
  /** parent dir under each hierarchy ("bunker") */
  parent: string;
  /** how remaining tasks are killed in destroy(); tests pass a recorder */
  kill?: (pid: number) => void;
  /** bound for freeze/thaw/destroy waits, ms */
  timeoutMs?: number;
  /** CPUs online (validation of --cpus); defaults to navigator.hardwareConcurrency */
  numCpu?: number;
  /** the kernel for v2's device filter (bpf); tests on fixture dirs pass a RecordingSys */
  sys?: Sys;
}
