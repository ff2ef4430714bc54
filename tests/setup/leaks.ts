/**
 * Preloaded into every `bun test` run: remembers what the machine looked like before the tests and,
 * after the last one, fails the run if tests left anything behind — mounts, bunker cgroups, container
 * processes, network namespaces or temp dirs. "Cleans up after itself" is then checked, not hoped for.
 */
import { afterAll, expect } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";

function mounts(): Set<string> {
  const lines = readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n");
  return new Set(lines.map((l) => l.split(" ")[4]!));
}

function bunkerCgroups(): Set<string> {
  const out = new Set<string>();
  const root = "/sys/fs/cgroup";
  if (!existsSync(root)) return out;
  // "bunker" is the engine's shared parent (like Docker's "docker"), made once and kept: only the
  // container cgroups inside it count. Any other bunker-named dir (a test's own parent) must be gone.
  const scan = (dir: string) => {
    for (const name of safeList(dir)) {
      if (name === "bunker") {
        // child cgroups are the directories (containers); the rest are control files
        for (const child of safeList(`${dir}/${name}`)) if (isDir(`${dir}/${name}/${child}`)) out.add(`${dir}/${name}/${child}`);
      } else if (/bunker/.test(name)) {
        out.add(`${dir}/${name}`);
      }
    }
  };
  scan(root);
  for (const ctrl of safeList(root)) scan(`${root}/${ctrl}`);
  return out;
}

function containerProcesses(): Set<string> {
  const out = new Set<string>();
  for (const pid of safeList("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (cmd.some((a) => a === "__supervise" || a === "__idle" || a === "__init" || a === "__reaper")) out.add(`${pid} ${cmd.join(" ")}`);
    } catch {
      // raced with exit
    }
  }
  return out;
}

function tempDirs(): Set<string> {
  const out = new Set<string>();
  for (const base of ["/tmp", "/var/tmp"]) for (const n of safeList(base)) if (/bunker/.test(n)) out.add(`${base}/${n}`);
  return out;
}

function netns(): Set<string> {
  return new Set(safeList("/run/netns"));
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const before = { mounts: mounts(), cgroups: bunkerCgroups(), procs: containerProcesses(), temps: tempDirs(), netns: netns() };

function added(now: Set<string>, then: Set<string>): string[] {
  return [...now].filter((x) => !then.has(x));
}

afterAll(async () => {
  // give exiting supervisors a moment to finish their own cleanup
  for (let i = 0; i < 20 && containerProcesses().size > before.procs.size; i++) await Bun.sleep(100);
  const left = {
    mounts: added(mounts(), before.mounts),
    cgroups: added(bunkerCgroups(), before.cgroups),
    processes: added(containerProcesses(), before.procs),
    tempDirs: added(tempDirs(), before.temps),
    netns: added(netns(), before.netns),
  };
  expect(left).toEqual({ mounts: [], cgroups: [], processes: [], tempDirs: [], netns: [] });
});
