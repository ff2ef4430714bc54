/**
 * The cgroup v2 device filter on the real kernel. On this hybrid host cgroup2 is mounted at
 * /sys/fs/cgroup/unified, and BPF device programs work there as on a pure v2 host. A child process joins
 * the cgroup (cgroups-v2-devices-probe.ts) and reports what mknod and open answered. Device nodes are
 * made by the test itself, outside the cgroup, in a temp dir; the per-file parent cgroup, the children and
 * the nodes are all removed in afterEach/afterAll even when an assertion failed. Last, whole containers
 * run with the engine pointed at the cgroup2 mount (BUNKER_CGROUP_ROOT), the path a pure v2 host takes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, closeSync, mkdtempSync, openSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { CgroupError, cgroupManager, DEFAULT_DEVICE_RULES, type CgroupManager } from "../../src/runtime/cgroups/index.ts";
import { attachDeviceFilter } from "../../src/runtime/cgroups/v2/devices/attach.ts";
import { deviceFilterProgram } from "../../src/runtime/cgroups/v2/devices/program.ts";
import { AT_FDCWD, BPF_CGROUP_DEVICE, O_CLOEXEC, O_DIRECTORY, O_RDONLY, S_IFCHR } from "../../src/sys/constants.ts";
import { Errno } from "../../src/sys/errors.ts";
import { linuxSys } from "../../src/sys/linux.ts";
import { RecordingSys } from "../../src/sys/recording.ts";
import { makeDev } from "../../src/sys/paths.ts";
import { bunker, makeTempRoot, type TempRoot } from "../helpers/fixture.ts";
import type { ProbeOp } from "./cgroups-v2-devices-probe.ts";
import { importBusybox } from "./containers-fixture.ts";

const ROOT = "/sys/fs/cgroup";
const isRoot = process.getuid?.() === 0;
const pureV2 = existsSync(join(ROOT, "cgroup.controllers"));
const V2_ROOT = pureV2 ? ROOT : join(ROOT, "unified");
const hasV2 = existsSync(join(V2_ROOT, "cgroup.procs"));
const PROBE = join(import.meta.dir, "cgroups-v2-devices-probe.ts");

const parent = `bunker-test-dev-${Math.random().toString(36).slice(2, 8)}`;
const children: Subprocess[] = [];
const managers: CgroupManager[] = [];
const sys = linuxSys();
// not /tmp/…bunker…: the leak check counts those; a disk dir because tmpfs may be mounted nodev.
// Every node made in a test, inside the cgroup or not, lives here and goes with it in afterAll.
const nodes = isRoot ? mkdtempSync("/var/tmp/devfilter-") : "";

afterEach(async () => {
  for (const c of children.splice(0)) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
  for (const m of managers.splice(0)) await m.destroy().catch(() => {});
  try {
    rmdirSync(join(V2_ROOT, parent));
  } catch {}
});

afterAll(() => {
  if (nodes) rmSync(nodes, { recursive: true, force: true });
});

function manager(id: string, fake?: RecordingSys): CgroupManager {
  const m = cgroupManager(id, { root: ROOT, version: 2, parent, timeoutMs: 5000, sys: fake });
  managers.push(m);
  return m;
}

/** What the kernel answered a process inside `m`'s cgroup, op by op. */
async function probe(m: CgroupManager, ops: ProbeOp[]): Promise<string[]> {
  const p = Bun.spawn([process.execPath, PROBE, join(m.paths.unified!, "cgroup.procs"), JSON.stringify(ops)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  children.push(p);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  return JSON.parse(out) as string[];
}

/** Ids of the device programs attached to the cgroup dir itself (BPF_PROG_QUERY). */
function attached(m: CgroupManager): number[] {
  const fd = sys.openat(AT_FDCWD, m.paths.unified!, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    return sys.bpfProgQuery(fd, BPF_CGROUP_DEVICE);
  } finally {
    sys.close(fd);
  }
}

/** A char node made here, outside any filtered cgroup. */
function charNode(name: string, major: number, minor: number): string {
  const path = join(nodes, name);
  rmSync(path, { force: true });
  sys.mknodat(AT_FDCWD, path, S_IFCHR | 0o600, makeDev(major, minor));
  return path;
}

describe.skipIf(!isRoot || !hasV2)("cgroup v2 device filter on the real kernel", () => {
  test("default rules: /dev/null opens, kmsg (c 1:11) is EPERM, mknod is allowed but a block node cannot be read", async () => {
    const kmsg = charNode("kmsg", 1, 11);
    // outside the cgroup the node opens: the EPERM below is the filter's
    closeSync(openSync(kmsg, "r"));
    const m = manager("dflt");
    expect(m.create({})).toEqual([]);
    expect(attached(m)).toHaveLength(1);
    const inside = join(nodes, "dflt");
    const results = await probe(m, [
      { op: "read", path: "/dev/null" },
      { op: "write", path: "/dev/null" },
      { op: "read", path: "/dev/zero" },
      { op: "read", path: kmsg },
      { op: "write", path: kmsg },
      { op: "mknod", path: `${inside}-blk`, type: "b", major: 8, minor: 0 },
      { op: "read", path: `${inside}-blk` },
      { op: "write", path: `${inside}-blk` },
      { op: "mknod", path: `${inside}-mem`, type: "c", major: 1, minor: 1 },
      { op: "read", path: `${inside}-mem` },
    ]);
    expect(results).toEqual(["ok", "ok", "ok", "EPERM", "EPERM", "ok", "EPERM", "EPERM", "ok", "EPERM"]);
  });

  test("update swaps the filter: allow-all opens the node, a narrower list forbids mknod; one program stays attached", async () => {
    const kmsg = charNode("kmsg", 1, 11);
    const m = manager("upd");
    m.create({});
    const [first] = attached(m);
    expect(await probe(m, [{ op: "read", path: kmsg }])).toEqual(["EPERM"]);

    m.update({ devices: ["a *:* rwm"] });
    const now = attached(m);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(first);
    expect(await probe(m, [{ op: "read", path: kmsg }])).toEqual(["ok"]);

    m.update({ devices: ["c 1:3 rwm"] });
    expect(attached(m)).toHaveLength(1);
    const blk = join(nodes, "upd-blk");
    expect(await probe(m, [
      { op: "read", path: "/dev/null" },
      { op: "read", path: "/dev/zero" },
      { op: "mknod", path: blk, type: "b", major: 8, minor: 0 },
    ])).toEqual(["ok", "EPERM", "EPERM"]);
    expect(existsSync(blk)).toBe(false);

    // an update without devices leaves the filter as it is
    const before = attached(m);
    m.update({ cpuShares: 512 });
    expect(attached(m)).toEqual(before);
  });

  test("--privileged (allow-all at create) opens what the default list refuses", async () => {
    const kmsg = charNode("kmsg", 1, 11);
    const m = manager("priv");
    m.create({ devices: ["a *:* rwm"] });
    expect(attached(m)).toHaveLength(1);
    expect(await probe(m, [{ op: "read", path: kmsg }])).toEqual(["ok"]);
  });

  test("a refused attach fails create and removes the real cgroup dir", () => {
    const m = manager("refused", new RecordingSys().failNext("bpfProgAttach", Errno.EPERM));
    expect(() => m.create({})).toThrow(/^cgroup: device filter for `.*\/refused`: bpf\(BPF_PROG_ATTACH\): EPERM/);
    expect(existsSync(m.paths.unified!)).toBe(false);
  });

  test("a dir that is no cgroup: a CgroupError naming bpf, the path and errno", () => {
    let err: unknown;
    try {
      attachDeviceFilter(sys, nodes, deviceFilterProgram(DEFAULT_DEVICE_RULES));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CgroupError);
    expect((err as Error).message).toMatch(new RegExp(`^cgroup: device filter for \`${nodes}\`: bpf\\(BPF_PROG_QUERY\\): E[A-Z]+ `));
  });
});

describe.skipIf(!isRoot || !hasV2)("containers on cgroup v2 (the engine's cgroup root at the cgroup2 mount)", () => {
  let t: TempRoot;
  beforeAll(async () => {
    t = makeTempRoot("bunker-e2e-devfilter-");
    await importBusybox(t.root, t.run);
  });
  afterAll(() => t?.cleanup());

  const run = (args: string[]) =>
    bunker(["run", "--rm", ...args], { root: t.root, run: t.run, env: { BUNKER_CGROUP_ROOT: V2_ROOT, BUNKER_CGROUP_PARENT: parent } });
  // a subshell, so that a refused redirection does not end the script
  const SCRIPT = "echo x >/dev/null && echo null-ok; mknod /tmp/sda b 8 0 && echo mknod-ok; (true </tmp/sda) && echo sda-ok; mknod /tmp/kmsg c 1 11; (true </tmp/kmsg) && echo kmsg-ok; true";

  test("by default the container (with CAP_MKNOD) can make the host's disk node but not open it", async () => {
    const r = await run(["busybox", "sh", "-c", SCRIPT]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(["null-ok", "mknod-ok"]);
    expect(r.stderr.match(/Operation not permitted/g)).toHaveLength(2);
  });

  test("--privileged opens kmsg, which the default filter refuses", async () => {
    const r = await run(["--privileged", "busybox", "sh", "-c", "mknod /tmp/kmsg c 1 11; (true </tmp/kmsg) && echo kmsg-ok"]);
    expect({ code: r.code, out: r.stdout.trim(), err: r.stderr }).toEqual({ code: 0, out: "kmsg-ok", err: "" });
  });
});
