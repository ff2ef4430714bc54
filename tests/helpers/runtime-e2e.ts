/**
 * Shared set-up of the runtime e2e tests (tests/e2e/runtime*.test.ts): a busybox layer per file, the
 * processes and cgroups a test made (killed/removed after each test even when it failed), and checks that
 * nothing is left: no mount under the temp dir after each test, no pipe or pty fd after the file.
 */
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { closeSync, existsSync, readFileSync, readdirSync, readlinkSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { LaunchError, launch, type Launched, type LaunchOptions } from "../../src/runtime/launch.ts";
import type { RuntimeSpec } from "../../src/runtime/spec.ts";
import { cgroupManager, type CgroupManager } from "../../src/runtime/cgroups/index.ts";
import { makeRootfs, makeSpec, type Rootfs } from "./rootfs.ts";

export const isRoot = process.getuid?.() === 0;
export const PIPES: LaunchOptions["io"] = { stdin: "ignore", stdout: "pipe", stderr: "pipe" };

export interface RuntimeFixture {
  rootfs(): Rootfs;
  /** remember a launched process: SIGKILLed and reaped after the test */
  track(l: Launched): Launched;
  /** a cgroup under this file's own parent, destroyed after the test */
  newCgroup(): CgroupManager;
  /** launch, collect stdout/stderr, wait */
  run(spec: RuntimeSpec, opts?: Partial<LaunchOptions>): Promise<{ out: string; err: string; code: number; pid: number }>;
  /** a spec running `sh -c script` */
  sh(script: string, over?: Partial<RuntimeSpec>): RuntimeSpec;
  /** the LaunchError a launch fails with */
  launchError(spec: RuntimeSpec): Promise<LaunchError>;
}

const openFds = (): string[] => readdirSync("/proc/self/fd");
const mountsUnder = (dir: string): string[] =>
  readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(dir));

/** Registers the hooks; call once at the top of a test file. */
export function useRuntimeFixture(): RuntimeFixture {
  let rootfs: Rootfs | undefined;
  const running: Launched[] = [];
  const managers: CgroupManager[] = [];
  const fdsBefore = new Set<string>();
  const cgParent = `bunker-test-rt-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(() => {
    if (!isRoot) return;
    rootfs = makeRootfs();
    for (const fd of openFds()) fdsBefore.add(fd);
  });

  afterEach(async () => {
    for (const l of running.splice(0)) {
      try {
        process.kill(l.pid, "SIGKILL");
      } catch {}
      await l.wait();
      if (l.ptyMaster !== undefined) closeSync(l.ptyMaster);
    }
    for (const m of managers.splice(0)) await m.destroy().catch(() => {});
    for (const h of existsSync("/sys/fs/cgroup") ? readdirSync("/sys/fs/cgroup") : []) {
      try {
        rmdirSync(join("/sys/fs/cgroup", h, cgParent));
      } catch {}
    }
    if (rootfs) expect(mountsUnder(rootfs.base)).toEqual([]);
  });

  afterAll(() => {
    if (!rootfs) return;
    rootfs.cleanup();
    Bun.gc(true);
    // Bun may hold an fd or two of its own; ours would be pipes or terminals
    const leaked = openFds().filter((fd) => !fdsBefore.has(fd)).map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return "";
      }
    });
    expect(leaked.filter((l) => l.startsWith("pipe:") || l.includes("ptmx") || l.includes("/dev/pts"))).toEqual([]);
  });

  const fx: RuntimeFixture = {
    rootfs: () => rootfs!,
    track(l) {
      running.push(l);
      return l;
    },
    newCgroup() {
      const m = cgroupManager(`c${Math.random().toString(36).slice(2, 8)}`, { parent: cgParent });
      managers.push(m);
      return m;
    },
    async run(spec, opts = {}) {
      const l = fx.track(await launch(spec, { io: PIPES, ...opts }));
      const [out, err, status] = await Promise.all([new Response(l.stdout).text(), new Response(l.stderr).text(), l.wait()]);
      running.splice(running.indexOf(l), 1);
      return { out, err, code: status.exitCode, pid: l.pid };
    },
    sh: (script, over = {}) => makeSpec(rootfs!, ["sh", "-c", script], over),
    async launchError(spec) {
      try {
        fx.track(await launch(spec, { io: PIPES }));
      } catch (e) {
        if (e instanceof LaunchError) return e;
        throw e;
      }
      throw new Error("launch succeeded");
    },
  };
  return fx;
}
