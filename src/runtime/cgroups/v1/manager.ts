/**
 * cgroup v1 (hybrid hosts like this one): one directory per hierarchy, <root>/<controller>/<parent>/<id>.
 * Co-mounted hierarchies ("cpu,cpuacct" with cpu and cpuacct as symlinks) are created once.
 */
import { existsSync, realpathSync } from "node:fs";
import { totalmem } from "node:os";
import { dirname, join } from "node:path";
import { CgroupError, type CgroupManager, type CgroupStats, type CgroupSysInfo, type ManagerOptions, type Resources } from "../types.ts";
import { appendCg, hasFile, removeEmpty, isCgroupFs, mkdirCg, readCgOr, readKeyed, readNumber, readPidsTree, rmdirTree, waitFor, writeCg } from "../_fs.ts";
import { normalizeResources, validateResources } from "../validate.ts";
import type { V1Controller } from "./controller.ts";
import { cpuacctV1, cpuV1 } from "./cpu.ts";
import { cpusetV1 } from "./cpuset.ts";
import { devicesV1 } from "./devices.ts";
import { freezeV1, freezerState, freezerV1, thawV1 } from "./freezer.ts";
import { memoryV1 } from "./memory.ts";
import { pidsV1 } from "./pids.ts";

/** Controllers with knobs, in the order they are set up (cpuset before anything can join). */
const CONTROLLERS: readonly V1Controller[] = [cpusetV1, memoryV1, cpuV1, cpuacctV1, pidsV1, devicesV1, freezerV1];
/** Hierarchies joined for accounting only, when mounted (Docker joins them all). */
const PASSIVE = ["blkio", "hugetlb", "net_cls", "net_prio", "perf_event"];

/** Memory limits v1 reports for "unlimited" are PAGE_COUNTER_MAX pages; anything this big is no limit. */
const UNLIMITED_THRESHOLD = 2 ** 62;

export class CgroupV1 implements CgroupManager {
  readonly version = 1 as const;
  readonly paths: Record<string, string> = {};
  readonly #hierarchies = new Map<string, string>(); // controller -> hierarchy mount dir
  /** one dir per distinct hierarchy (co-mounted controllers share it), resolved through symlinks */
  readonly #distinct: string[] = [];
  readonly #controllers: V1Controller[];
  readonly #opts: Required<Pick<ManagerOptions, "timeoutMs">> & ManagerOptions;
  readonly #rel: string;

  constructor(id: string, opts: ManagerOptions) {
    this.#opts = { timeoutMs: 5000, ...opts };
    this.#rel = join(opts.parent, id);
    for (const name of [...CONTROLLERS.map((c) => c.name), ...PASSIVE]) {
      const h = join(opts.root, name);
      if (!existsSync(h)) continue;
      this.#hierarchies.set(name, h);
      this.paths[name] = join(h, this.#rel);
      const real = join(realpath(h), this.#rel);
      if (!this.#distinct.includes(real)) this.#distinct.push(real);
    }
    this.#controllers = CONTROLLERS.filter((c) => this.#hierarchies.has(c.name));
  }

  /** What this host supports, for Docker's validation (files present in the hierarchy roots). */
  sysInfo(): CgroupSysInfo {
    const h = (n: string) => this.#hierarchies.get(n);
    const mem = h("memory");
    const cpu = h("cpu");
    const cpuset = h("cpuset");
    return {
      memoryLimit: !!mem,
      swapLimit: !!mem && hasFile(mem, "memory.memsw.limit_in_bytes"),
      memoryReservation: !!mem,
      pidsLimit: !!h("pids"),
      cpuShares: !!cpu,
      cpuCfs: !!cpu && hasFile(cpu, "cpu.cfs_quota_us"),
      cpuset: !!cpuset,
      cpus: cpuset ? readCgOr(cpuset, "cpuset.effective_cpus", readCgOr(cpuset, "cpuset.cpus", "")) : "",
      mems: cpuset ? readCgOr(cpuset, "cpuset.effective_mems", readCgOr(cpuset, "cpuset.mems", "")) : "",
      numCpu: this.#opts.numCpu ?? navigator.hardwareConcurrency,
    };
  }

  create(resources: Resources): string[] {
    // a root with no hierarchy (a wrong BUNKER_CGROUP_ROOT, no cgroupfs mounted) would run the container
    // in no cgroup at all, with no device rules: refused, not run unconfined
    if (this.#distinct.length === 0) {
      throw new CgroupError(`cgroup: no cgroup v1 hierarchy and no cgroup2 mount at \`${this.#opts.root}\``, { path: this.#opts.root });
    }
    const { resources: r, warnings } = validateResources(normalizeResources(resources), this.sysInfo());
    try {
      for (const dir of this.#distinct) mkdirCg(dir);
      for (const c of this.#controllers) {
        const h = this.#hierarchies.get(c.name)!;
        if (c.prepare) {
          const parts = this.#rel.split("/").filter(Boolean);
          c.prepare(h, parts.map((_, i) => join(h, ...parts.slice(0, i + 1))));
        }
        c.apply(this.paths[c.name]!, r, true);
      }
    } catch (e) {
      // nothing joined yet, so the dirs are empty: leave no half-made cgroup behind a failed `run`
      for (const dir of this.#distinct) removeEmpty(dir);
      throw e;
    }
    return warnings;
  }

  update(resources: Resources): string[] {
    const { resources: r, warnings } = validateResources(resources, this.sysInfo(), true);
    for (const c of this.#controllers) c.apply(this.paths[c.name]!, r, false);
    return warnings;
  }

  procsFiles(): string[] {
    return this.#distinct.map((d) => join(d, "cgroup.procs"));
  }

  addProcess(pid: number): void {
    for (const f of this.procsFiles()) appendCg(dirname(f), "cgroup.procs", pid);
  }

  async freeze(): Promise<void> {
    await freezeV1(this.#dir("freezer"), this.#opts.timeoutMs);
  }

  async thaw(): Promise<void> {
    await thawV1(this.#dir("freezer"), this.#opts.timeoutMs);
  }

  frozen(): boolean {
    const dir = this.paths.freezer;
    return dir !== undefined && freezerState(dir) === "FROZEN";
  }

  pids(): number[] {
    // the freezer (or pids) hierarchy holds every task we placed; any one hierarchy is enough
    const dir = this.paths.freezer ?? this.paths.pids ?? this.paths.memory ?? Object.values(this.paths)[0];
    return dir ? readPidsTree(dir) : [];
  }

  stats(): CgroupStats {
    const mem = this.paths.memory;
    const limit = mem ? readNumber(mem, "memory.limit_in_bytes", 0) : 0;
    const pidsDir = this.paths.pids;
    return {
      memoryUsage: mem ? readNumber(mem, "memory.usage_in_bytes") : 0,
      memoryLimit: !mem ? 0 : limit > 0 && limit < UNLIMITED_THRESHOLD ? Math.min(limit, totalmem()) : totalmem(),
      cpuUsageNs: this.paths.cpuacct ? readNumber(this.paths.cpuacct, "cpuacct.usage") : 0,
      pids: pidsDir ? readNumber(pidsDir, "pids.current", this.pids().length) : this.pids().length,
    };
  }

  oomKilled(): boolean {
    const mem = this.paths.memory;
    if (!mem) return false;
    // oom_kill (Linux 4.13+) counts kills by the OOM killer in this cgroup. Older kernels only have
    // failcnt (times the limit was hit), an approximation: reclaim may have saved the task.
    const oc = readKeyed(mem, "memory.oom_control");
    const kills = oc.get("oom_kill");
    return kills !== undefined ? kills > 0 : readNumber(mem, "memory.failcnt") > 0;
  }

  async destroy(): Promise<void> {
    const kill = this.#opts.kill ?? ((pid: number) => process.kill(pid, "SIGKILL"));
    const freezer = this.paths.freezer;
    if (this.pids().length > 0) {
      for (const pid of this.pids()) tryKill(kill, pid);
      // frozen tasks cannot act on SIGKILL until thawed
      if (freezer && isCgroupFs(freezer) && freezerState(freezer) !== "THAWED") writeCg(freezer, "freezer.state", "THAWED");
      await waitFor(() => {
        const left = this.pids();
        for (const pid of left) tryKill(kill, pid);
        return left.length === 0;
      }, this.#opts.timeoutMs);
    }
    for (const dir of this.#distinct) await rmdirTree(dir, this.#opts.timeoutMs);
  }

  #dir(controller: string): string {
    const d = this.paths[controller];
    if (!d) throw new CgroupError(`cgroup v1: the ${controller} hierarchy is not mounted under ${this.#opts.root}`);
    return d;
  }
}

function tryKill(kill: (pid: number) => void, pid: number): void {
  try {
    kill(pid);
  } catch {
    // ESRCH: already gone
  }
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
