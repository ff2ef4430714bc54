/**
 * A temp bunker root with the busybox image, a CLI runner bound to it, and the cleanup every container
 * test needs: `rm -f` of every container after each test, then after all tests the temp dirs and this
 * run's cgroup parent dirs removed. Each test file gets its own cgroup parent (bunker-e2e-<pid>-<n>),
 * so the leak check can tell our cgroups from anyone else's.
 */
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bunkerCommand } from "../helpers/fixture.ts";
import { importBusybox } from "./containers-fixture.ts";

export const isRoot = process.getuid?.() === 0;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let counter = 0;

export class Harness {
  root = "";
  run = "";
  base = "";
  readonly cgParent = `bunker-e2e-${process.pid}-${++counter}`;

  async setup(): Promise<void> {
    this.base = mkdtempSync("/tmp/bunker-ctr-");
    this.root = join(this.base, "root");
    this.run = join(this.base, "run");
    await importBusybox(this.root, this.run);
  }

  env(): Record<string, string> {
    return { ...(process.env as Record<string, string>), NO_COLOR: "1", BUNKER_CGROUP_PARENT: this.cgParent };
  }

  argv(args: string[]): string[] {
    return [...bunkerCommand(), "--root", this.root, "--run-root", this.run, ...args];
  }

  async bunker(args: string[], stdin?: string): Promise<Run> {
    const proc = Bun.spawn(this.argv(args), {
      stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
      stdout: "pipe",
      stderr: "pipe",
      env: this.env(),
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  }

  /** runs and expects exit 0; returns trimmed stdout */
  async ok(args: string[], stdin?: string): Promise<string> {
    const r = await this.bunker(args, stdin);
    if (r.code !== 0) throw new Error(`bunker ${args.join(" ")} → ${r.code}\n${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  }

  /** the describe-level hooks every container suite uses: one root, and nothing left after each test */
  useInSuite(): void {
    beforeAll(() => this.setup());
    afterEach(async () => {
      await this.removeAll();
      expect(this.processes()).toEqual([]);
      expect(this.cgroupDirs()).toEqual([]);
      expect(this.mounts()).toEqual([]);
    });
    afterAll(() => this.teardown());
  }

  async removeAll(): Promise<void> {
    const ids = (await this.bunker(["ps", "-aq", "--no-trunc"])).stdout.split("\n").filter(Boolean);
    if (ids.length) await this.bunker(["rm", "-f", ...ids]);
  }

  /** cgroup dirs of this harness (per controller); empty when everything was cleaned */
  cgroupDirs(): string[] {
    const out: string[] = [];
    for (const ctrl of safeList("/sys/fs/cgroup")) {
      const d = join("/sys/fs/cgroup", ctrl, this.cgParent);
      if (existsSync(d)) for (const c of safeList(d)) if (/^[0-9a-f]{64}$/.test(c)) out.push(join(d, c));
    }
    return out;
  }

  /** supervisors and container processes still running from this root */
  processes(): string[] {
    const out: string[] = [];
    for (const pid of safeList("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        const env = readFileSync(`/proc/${pid}/environ`, "utf8");
        // a supervisor in its full mode or its idle mode (src/engine/containers/idle.ts)
        if ((cmd.includes("__supervise") || cmd.includes("__idle")) && env.includes(this.root)) out.push(`${pid} ${cmd.replace(/\0/g, " ")}`);
        const cg = readFileSync(`/proc/${pid}/cgroup`, "utf8");
        if (cg.includes(`/${this.cgParent}/`)) out.push(`${pid} ${cmd.replace(/\0/g, " ")}`);
      } catch {}
    }
    return out;
  }

  mounts(): string[] {
    return readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4] ?? "")
      .filter((m) => m.startsWith(this.base));
  }

  async teardown(): Promise<void> {
    try {
      await this.removeAll();
    } finally {
      // a supervisor finishing its own cleanup may still hold a child cgroup for a moment: retry
      await until(() => {
        let left = false;
        for (const ctrl of safeList("/sys/fs/cgroup")) {
          const d = join("/sys/fs/cgroup", ctrl, this.cgParent);
          if (!existsSync(d)) continue;
          for (const c of safeList(d)) if (/^[0-9a-f]{64}$/.test(c)) try { rmdirSync(join(d, c)); } catch {}
          try {
            rmdirSync(d);
          } catch {
            left = true;
          }
        }
        return !left;
      }, 5000);
      if (this.base) rmSync(this.base, { recursive: true, force: true });
    }
  }
}

function safeList(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

export async function until(fn: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return true;
    await Bun.sleep(50);
  }
  return false;
}
