/**
 * cgroup v2 (unified): one directory <root>/<parent>/<id>. Controllers must be enabled top-down in each
 * ancestor's cgroup.subtree_control, and the "no internal processes" rule means the parent dir itself
 * never holds tasks. Device access is not a controller on v2: a BPF program attached to the dir decides it.
 */
import { totalmem } from "node:os";
import { join } from "node:path";
import type { CgroupManager, CgroupStats, CgroupSysInfo, ManagerOptions, Resources } from "../types.ts";
import { appendCg, hasFile, removeEmpty, mkdirCg, readCgOr, readKeyed, readNumber, readPidsTree, rmdirTree, waitFor, writeCg } from "../_fs.ts";
import { normalizeResources, validateResources } from "../validate.ts";
import { DEFAULT_DEVICE_RULES } from "../device-rules.ts";
import { linuxSys } from "../../../sys/linux.ts";
import type { Sys } from "../../../sys/sys.ts";
import { attachDeviceFilter } from "./devices/attach.ts";
import { deviceFilterProgram } from "./devices/program.ts";
import type { V2Controller } from "./controller.ts";
import { cpuV2 } from "./cpu.ts";
import { cpusetV2 } from "./cpuset.ts";
import { isFrozenV2, setFrozenV2 } from "./freezer.ts";
import { memoryV2 } from "./memory.ts";
import { pidsV2 } from "./pids.ts";

const CONTROLLERS: readonly V2Controller[] = [cpusetV2, cpuV2, memoryV2, pidsV2];
/** enabled as well so the container is accounted (io stats), though no flag sets them yet */
const WANTED = ["cpuset", "cpu", "io", "memory", "pids", "hugetlb"];

export class CgroupV2 implements CgroupManager {
  readonly version = 2 as const;
  readonly paths: Record<string, string>;
  readonly #dir: string;
  readonly #opts: Required<Pick<ManagerOptions, "timeoutMs">> & ManagerOptions;
  readonly #sys: Sys;

  constructor(id: string, opts: ManagerOptions) {
    this.#opts = { timeoutMs: 5000, ...opts };
    this.#dir = join(opts.root, opts.parent, id);
    this.#sys = opts.sys ?? linuxSys();
    // one dir serves every controller; "unified" is the key the mount code looks for
    this.paths = { unified: this.#dir };
  }

  /** controllers the root offers (cgroup.controllers of the hierarchy root) */
  available(): string[] {
    return readCgOr(this.#opts.root, "cgroup.controllers", "").split(/\s+/).filter(Boolean);
  }

  sysInfo(): CgroupSysInfo {
    const have = new Set(this.available());
    const parent = join(this.#opts.root, this.#opts.parent);
    const cpusetDir = hasFile(parent, "cpuset.cpus.effective") ? parent : this.#opts.root;
    return {
      memoryLimit: have.has("memory"),
      // memory.swap.max exists only with swap accounting; the parent (made first) tells us
      swapLimit: have.has("memory") && hasFile(parent, "memory.swap.max"),
      memoryReservation: have.has("memory"),
      pidsLimit: have.has("pids"),
      cpuShares: have.has("cpu"),
      cpuCfs: have.has("cpu"),
      cpuset: have.has("cpuset"),
      cpus: readCgOr(cpusetDir, "cpuset.cpus.effective", `0-${Math.max(this.#numCpu() - 1, 0)}`),
      mems: readCgOr(cpusetDir, "cpuset.mems.effective", "0"),
      numCpu: this.#numCpu(),
    };
  }

  create(resources: Resources): string[] {
    this.#enableControllers();
    const { resources: r, warnings } = validateResources(normalizeResources(resources), this.sysInfo());
    // compiled before anything is made, so a bad rule leaves nothing behind
    const devices = deviceFilterProgram(r.devices ?? DEFAULT_DEVICE_RULES);
    mkdirCg(this.#dir);
    try {
      this.#apply(r, true);
      // no container may run without a filter: a failure here fails create
      attachDeviceFilter(this.#sys, this.#dir, devices);
    } catch (e) {
      removeEmpty(this.#dir); // nothing joined yet: leave no half-made cgroup behind a failed `run`
      throw e;
    }
    return warnings;
  }

  update(resources: Resources): string[] {
    const { resources: r, warnings } = validateResources(resources, this.sysInfo(), true);
    const devices = r.devices && deviceFilterProgram(r.devices);
    this.#apply(r, false);
    if (devices) attachDeviceFilter(this.#sys, this.#dir, devices);
    return warnings;
  }

  procsFiles(): string[] {
    return [join(this.#dir, "cgroup.procs")];
  }

  addProcess(pid: number): void {
    appendCg(this.#dir, "cgroup.procs", pid);
  }

  async freeze(): Promise<void> {
    await setFrozenV2(this.#dir, true, this.#opts.timeoutMs);
  }

  async thaw(): Promise<void> {
    await setFrozenV2(this.#dir, false, this.#opts.timeoutMs);
  }

  frozen(): boolean {
    return isFrozenV2(this.#dir);
  }

  pids(): number[] {
    return readPidsTree(this.#dir);
  }

  /**
   * What the files present tell. cpu.stat's usage_usec is a core file (no cpu controller needed); without
   * the memory controller there is no memory.current, and like Docker for a missing controller usage and
   * limit are both 0 (not the host's RAM beside a usage of 0); without pids, pids.current (which counts
   * tasks) becomes the count of the cgroup's threads.
   */
  stats(): CgroupStats {
    const d = this.#dir;
    const hasMemory = hasFile(d, "memory.current");
    const max = readCgOr(d, "memory.max", "max");
    return {
      memoryUsage: readNumber(d, "memory.current"),
      memoryLimit: !hasMemory ? 0 : /^\d+$/.test(max) ? Math.min(Number(max), totalmem()) : totalmem(),
      cpuUsageNs: (readKeyed(d, "cpu.stat").get("usage_usec") ?? 0) * 1000,
      pids: hasFile(d, "pids.current") ? readNumber(d, "pids.current") : readLines(d, "cgroup.threads"),
    };
  }

  oomKilled(): boolean {
    return (readKeyed(this.#dir, "memory.events").get("oom_kill") ?? 0) > 0;
  }

  async destroy(): Promise<void> {
    const d = this.#dir;
    if (this.pids().length > 0) {
      // cgroup.kill (Linux 5.14+) kills every task of the subtree race-free, frozen ones included
      if (hasFile(d, "cgroup.kill") && !this.#opts.kill) writeCg(d, "cgroup.kill", "1");
      const kill = this.#opts.kill ?? ((pid: number) => process.kill(pid, "SIGKILL"));
      await waitFor(() => {
        const left = this.pids();
        for (const pid of left) {
          try {
            kill(pid);
          } catch {
            // ESRCH
          }
        }
        return left.length === 0;
      }, this.#opts.timeoutMs);
    }
    await rmdirTree(d, this.#opts.timeoutMs);
  }

  #numCpu(): number {
    return this.#opts.numCpu ?? navigator.hardwareConcurrency;
  }

  /** "+cpu +memory …" in each ancestor's subtree_control, limited to what that level offers. */
  #enableControllers(): void {
    const parts = this.#opts.parent.split("/").filter(Boolean);
    let dir = this.#opts.root;
    for (let i = 0; i <= parts.length; i++) {
      if (i > 0) mkdirCg(dir);
      const offered = new Set(words(readCgOr(dir, "cgroup.controllers", "")));
      const enabled = new Set(words(readCgOr(dir, "cgroup.subtree_control", "")));
      const want = WANTED.filter((c) => offered.has(c) && !enabled.has(c));
      if (want.length > 0) writeCg(dir, "cgroup.subtree_control", want.map((c) => `+${c}`).join(" "));
      if (i < parts.length) dir = join(dir, parts[i]!);
    }
  }

  #apply(r: Resources, create: boolean): void {
    const enabled = new Set(words(readCgOr(join(this.#opts.root, this.#opts.parent), "cgroup.subtree_control", "")));
    for (const c of CONTROLLERS) {
      if (!enabled.has(c.name)) continue;
      c.apply(this.#dir, r, create);
    }
  }
}

/** number of ids listed in a cgroup.procs / cgroup.threads file */
function readLines(dir: string, file: string): number {
  return readCgOr(dir, file, "").split("\n").filter((l) => /^\d+$/.test(l.trim())).length;
}

/** controller names from a cgroup.controllers / subtree_control text ("+cpu" as a fixture holds it, too) */
function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean).map((w) => w.replace(/^[+]/, ""));
}
