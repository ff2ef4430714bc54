// src/runtime/init: the order of the setup steps, checked on RecordingSys (no root, no kernel).
import { describe, expect, test } from "bun:test";
import { LaunchError } from "../../src/runtime/errors.ts";
import { execInContainer } from "../../src/runtime/init/join.ts";
import { runContainer } from "../../src/runtime/init/run.ts";
import type { RuntimeSpec } from "../../src/runtime/spec.ts";
import {
  CAPABILITIES, CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUTS, MS_BIND, MS_PRIVATE,
  MS_RDONLY, MS_REC, MS_REMOUNT, PR_CAPBSET_DROP, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, RESOLVE_IN_ROOT,
} from "../../src/sys/constants.ts";
import { Errno } from "../../src/sys/errors.ts";
import { ExecveCalled, type SysCallRecord } from "../../src/sys/recording.ts";
import { fakeContext } from "../helpers/runtime-fakes.ts";
import { makeSpecFor } from "../helpers/runtime-spec.ts";

function run(spec: RuntimeSpec, hold = false, prep?: (ctx: ReturnType<typeof fakeContext>) => void) {
  const ctx = fakeContext();
  prep?.(ctx);
  let error: unknown;
  try {
    runContainer(ctx, spec, hold);
  } catch (e) {
    error = e;
  }
  return { ctx, calls: ctx.sys.calls, error };
}

const idx = (calls: SysCallRecord[], pred: (c: SysCallRecord) => boolean): number => calls.findIndex(pred);
const lastIdx = (calls: SysCallRecord[], pred: (c: SysCallRecord) => boolean): number => calls.findLastIndex(pred);
const isMount = (c: SysCallRecord, pred: (a: Extract<SysCallRecord, { call: "mount" }>["args"]) => boolean) =>
  c.call === "mount" && pred(c.args);

describe("runContainer: order of steps", () => {
  const spec = makeSpecFor(["sh", "-c", "echo hi"]);
  const { calls, error, ctx } = run(spec);

  test("ends in execve of the program found in $PATH", () => {
    expect(error).toBeInstanceOf(ExecveCalled);
    const last = calls[calls.length - 1]!;
    expect(last.call).toBe("execve");
    expect(last.args).toEqual({ path: "/bin/sh", argv: ["sh", "-c", "echo hi"], envp: spec.process.env });
  });

  test("namespaces first; the cgroup namespace separately, after them", () => {
    const u = ctx.sys.callsOf("unshare");
    expect(u[0]!.flags).toBe(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET);
    expect(u[1]!.flags).toBe(CLONE_NEWCGROUP);
    // the cgroup hierarchies are mounted inside the new cgroup namespace, so they show the container's own
    const cgroupns = idx(calls, (c) => c.call === "unshare" && c.args.flags === CLONE_NEWCGROUP);
    expect(idx(calls, (c) => isMount(c, (a) => a.fstype === "cgroup" || a.fstype === "cgroup2"))).toBeGreaterThan(cgroupns);
  });

  test("/ is made private before the overlay is mounted on merged", () => {
    const priv = idx(calls, (c) => isMount(c, (a) => a.target === "/" && a.flags === (MS_REC | MS_PRIVATE)));
    const ovl = idx(calls, (c) => isMount(c, (a) => a.fstype === "overlay"));
    expect(priv).toBeGreaterThanOrEqual(0);
    expect(ovl).toBeGreaterThan(priv);
    const o = ctx.sys.callsOf("mount").find((a) => a.fstype === "overlay")!;
    expect(o.target).toBe(spec.rootfs.merged);
    expect(o.data).toBe(`lowerdir=${spec.rootfs.lower.join(":")},upperdir=${spec.rootfs.upper},workdir=${spec.rootfs.work}`);
  });

  test("every mount into the rootfs goes to /proc/self/fd/N and happens before pivot_root", () => {
    const pivot = idx(calls, (c) => c.call === "pivotRoot");
    expect(pivot).toBeGreaterThan(0);
    const fdMounts = calls.map((c, i) => [c, i] as const).filter(([c]) => isMount(c, (a) => a.target.startsWith("/proc/self/fd/")));
    const types = fdMounts.map(([c]) => (c.args as { fstype: string | null }).fstype);
    for (const t of ["proc", "tmpfs", "devpts", "mqueue", "sysfs", "cgroup"]) expect(types).toContain(t);
    for (const [, i] of fdMounts) expect(i).toBeLessThan(pivot);
    // targets are resolved relative to the rootfs fd, confined by RESOLVE_IN_ROOT
    const opens = ctx.sys.callsOf("openat2");
    expect(opens.map((o) => o.path)).toContain("proc");
    for (const o of opens) expect(o.resolve & RESOLVE_IN_ROOT).toBe(RESOLVE_IN_ROOT);
    expect(ctx.sys.callsOf("pivotRoot")[0]).toEqual({ newRoot: ".", putOld: "." });
    expect(calls[pivot + 1]).toMatchObject({ call: "umount2", args: { target: "." } });
  });

  test("/sys is read-only sysfs; cgroup hierarchies from /proc/self/cgroup, read-only, with co-mount symlinks", () => {
    const m = ctx.sys.callsOf("mount");
    expect(m.find((a) => a.fstype === "sysfs")!.flags & MS_RDONLY).toBe(MS_RDONLY);
    const cg = m.filter((a) => a.fstype === "cgroup");
    expect(cg.map((a) => a.data)).toEqual(["memory", "cpu,cpuacct", "name=systemd"]);
    for (const a of cg) expect(a.flags & MS_RDONLY).toBe(MS_RDONLY);
    expect(ctx.fs.ops.filter((o) => o.startsWith("symlink") && o.endsWith("-> cpu,cpuacct")).length).toBe(2);
  });

  test("device nodes and symlinks are made in /dev", () => {
    const nodes = ctx.sys.callsOf("mknodat").map((a) => a.path);
    expect(nodes).toEqual(["null", "zero", "full", "random", "urandom", "tty"]);
    expect(ctx.fs.ops.some((o) => /symlink .*\/ptmx -> pts\/ptmx/.test(o))).toBe(true);
  });

  test("hostname comes after pivot_root", () => {
    const pivot = idx(calls, (c) => c.call === "pivotRoot");
    expect(idx(calls, (c) => c.call === "sethostname")).toBeGreaterThan(pivot);
    expect(ctx.sys.callsOf("sethostname")[0]!.name).toBe("testhost");
  });

  test("capabilities: bounding drops while root, then keepcaps, user switch, capset; seccomp is the last call before execve", () => {
    const prctl = (opt: number) => (c: SysCallRecord) => c.call === "prctl" && c.args.option === opt;
    const drops = ctx.sys.callsOf("prctl").filter((a) => a.option === PR_CAPBSET_DROP).map((a) => Number(a.arg2));
    expect(drops.length).toBe(41 - 14);
    expect(drops).toContain(CAPABILITIES.CAP_SYS_ADMIN!);
    expect(drops).not.toContain(CAPABILITIES.CAP_CHOWN!);
    const lastDrop = lastIdx(calls, prctl(PR_CAPBSET_DROP));
    const groups = idx(calls, (c) => c.call === "setgroups");
    const capset = idx(calls, (c) => c.call === "capset");
    expect(lastDrop).toBeLessThan(groups);
    expect(groups).toBeLessThan(capset);
    // root stays root: no set*id calls (each one signals all of Bun's threads)
    expect(idx(calls, (c) => c.call === "setresuid")).toBe(-1);
    expect(calls[calls.length - 2]!.call).toBe("seccompSetFilter");
    expect(idx(calls, (c) => c.call === "closeRange")).toBeLessThan(calls.length - 2);
  });

  test("without no_new_privs, CAP_SYS_ADMIN stays in E/P until execve so seccomp can be installed", () => {
    const sets = ctx.sys.callsOf("capset")[0]!.sets;
    const admin = 1n << BigInt(CAPABILITIES.CAP_SYS_ADMIN!);
    expect(sets.effective & admin).toBe(admin);
    expect(ctx.sys.callsOf("prctl").some((a) => a.option === PR_SET_NO_NEW_PRIVS)).toBe(false);
  });
});

describe("runContainer: variants", () => {
  test("no_new_privs: set right before seccomp, no extra CAP_SYS_ADMIN", () => {
    const spec = makeSpecFor(["true"]);
    spec.process.noNewPrivileges = true;
    const { calls, ctx } = run(spec);
    const nnp = idx(calls, (c) => c.call === "prctl" && c.args.option === PR_SET_NO_NEW_PRIVS);
    expect(calls[nnp + 1]!.call).toBe("seccompSetFilter");
    const admin = 1n << BigInt(CAPABILITIES.CAP_SYS_ADMIN!);
    expect(ctx.sys.callsOf("capset")[0]!.sets.effective & admin).toBe(0n);
  });

  test("hold: {t:created} is sent after the engine-independent mounts, before the cgroup namespace, cgroupfs and user mounts; no go → LaunchError", () => {
    const spec = makeSpecFor(["true"]);
    const ok = run(spec, true);
    expect(ok.ctx.link.sent[0]).toEqual({ t: "created" });
    const stop = run(spec, true, (ctx) => (ctx.link.go = false));
    expect(stop.error).toBeInstanceOf(LaunchError);
    expect((stop.error as LaunchError).stage).toBe("hold");
    const held = stop.ctx.sys.callsOf("mount").map((m) => m.fstype);
    for (const t of ["overlay", "proc", "tmpfs", "sysfs"]) expect(held).toContain(t);
    expect(held).not.toContain("cgroup");
    expect(held).not.toContain("cgroup2");
    expect(stop.ctx.sys.callsOf("unshare").map((u) => u.flags)).not.toContain(CLONE_NEWCGROUP);
    expect(stop.ctx.sys.callsOf("pivotRoot")).toEqual([]);
  });

  test("masked paths: /dev/null over files, read-only tmpfs over dirs, missing ones skipped; read-only paths remounted", () => {
    const spec = makeSpecFor(["true"]);
    const { ctx, calls } = run(spec, false, (c) => {
      c.fs.kinds.set("/proc/kcore", "file");
      c.fs.kinds.set("/proc/acpi", "dir");
      c.fs.kinds.set("/proc/sys", "dir");
    });
    // after pivot_root, by their container paths (nothing is left to escape to)
    const pivot = idx(calls, (c) => c.call === "pivotRoot");
    expect(idx(calls, (c) => isMount(c, (a) => a.target === "/proc/kcore"))).toBeGreaterThan(pivot);
    expect(idx(calls, (c) => isMount(c, (a) => a.target === "/proc/sys"))).toBeGreaterThan(pivot);
    const m = ctx.sys.callsOf("mount");
    expect(m).toContainEqual({ source: "/dev/null", target: "/proc/kcore", fstype: null, flags: MS_BIND, data: null });
    expect(m).toContainEqual({ source: "tmpfs", target: "/proc/acpi", fstype: "tmpfs", flags: MS_RDONLY, data: null });
    expect(m.some((a) => a.target === "/proc/keys")).toBe(false);
    const ro = m.filter((a) => a.target === "/proc/sys");
    expect(ro[0]!.flags).toBe(MS_BIND | MS_REC);
    expect(ro[1]!.flags & (MS_REMOUNT | MS_RDONLY)).toBe(MS_REMOUNT | MS_RDONLY);
  });

  test("read-only rootfs: / is remounted read-only after the masked paths", () => {
    const spec = makeSpecFor(["true"]);
    spec.rootfs.readonly = true;
    const { ctx } = run(spec);
    const m = ctx.sys.callsOf("mount");
    const i = m.findIndex((a) => a.target === "/" && (a.flags & MS_REMOUNT) !== 0);
    expect(m[i]!.flags & MS_RDONLY).toBe(MS_RDONLY);
  });

  test("a failing mount becomes a LaunchError naming the stage, the call and the path (exit 125)", () => {
    const { error } = run(makeSpecFor(["true"]), false, (c) => c.sys.failNext("mount", Errno.EPERM, 1, (a) => a.fstype === "proc"));
    expect(error).toBeInstanceOf(LaunchError);
    const e = error as LaunchError;
    expect([e.stage, e.exitCode, e.errno]).toEqual(["mounts", 125, Errno.EPERM]);
    expect(e.message).toContain("mount `/proc`: EPERM (operation not permitted): proc from proc");
    expect(e.message).toContain("EPERM");
  });

  test("program lookup: 127 when missing, 126 when not executable, before seccomp", () => {
    const missing = run(makeSpecFor(["nope"]));
    expect((missing.error as LaunchError).exitCode).toBe(127);
    expect((missing.error as LaunchError).message).toContain('exec: "nope": executable file not found in $PATH');
    expect(missing.ctx.sys.callsOf("seccompSetFilter")).toEqual([]);
    const noexec = run(makeSpecFor(["/etc/passwd"]), false, (c) => c.fs.kinds.set("/etc/passwd", "file"));
    expect((noexec.error as LaunchError).exitCode).toBe(126);
    expect((noexec.error as LaunchError).message).toContain('exec: "/etc/passwd": permission denied');
  });

  test("a non-root user: bounding drops, keepcaps, groups, gid, uid, then capset; cwd created when missing", () => {
    const spec = makeSpecFor(["true"]);
    spec.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 7] };
    spec.process.cwd = "/work/dir";
    const { ctx, calls } = run(spec);
    const prctl = (opt: number) => (c: SysCallRecord) => c.call === "prctl" && c.args.option === opt;
    const lastDrop = lastIdx(calls, prctl(PR_CAPBSET_DROP));
    const keep = idx(calls, prctl(PR_SET_KEEPCAPS));
    const uid = idx(calls, (c) => c.call === "setresuid");
    const capset = idx(calls, (c) => c.call === "capset");
    expect(lastDrop).toBeLessThan(keep);
    expect(keep).toBeLessThan(uid);
    expect(uid).toBeLessThan(capset);
    expect(ctx.sys.callsOf("setgroups")[0]!.gids).toEqual([5, 7]);
    expect(ctx.sys.callsOf("setresgid")[0]).toEqual({ rgid: 1001, egid: 1001, sgid: 1001 });
    expect(ctx.sys.callsOf("setresuid")[0]).toEqual({ ruid: 1000, euid: 1000, suid: 1000 });
    expect(ctx.fs.ops).toContain("mkdir /work/dir");
    expect(ctx.sys.callsOf("chdir").at(-1)!.path).toBe("/work/dir");
  });

  test("sysctls are written under /proc/sys before /proc/sys turns read-only", () => {
    const spec = makeSpecFor(["true"]);
    spec.sysctl = { "net.ipv4.ip_forward": "1" };
    const { ctx } = run(spec, false, (c) => c.fs.kinds.set("/proc/sys", "dir"));
    expect(ctx.fs.ops).toContain("write /proc/sys/net/ipv4/ip_forward 1");
  });

  test("joining a prepared network namespace instead of creating one", () => {
    const spec = makeSpecFor(["true"]);
    spec.namespaces.netPath = "/run/netns/x";
    const { ctx } = run(spec);
    expect(ctx.sys.callsOf("unshare")[0]!.flags & CLONE_NEWNET).toBe(0);
    expect(ctx.sys.callsOf("openat").some((a) => a.path === "/run/netns/x")).toBe(true);
    expect(ctx.sys.callsOf("setns")[0]!.nstype).toBe(CLONE_NEWNET);
  });
});

describe("execInContainer", () => {
  const target = { pid: 4242, startTime: 777 };
  const prep = (c: ReturnType<typeof fakeContext>) => {
    c.fs.files.set("/proc/4242/stat", "4242 (sleep) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 777 1000 10");
    c.fs.kinds.set("/proc/4242", "dir");
    for (const n of ["ipc", "uts", "net", "cgroup", "mnt"]) c.fs.kinds.set(`/proc/4242/ns/${n}`, "other");
  };

  test("joins the cgroup, then ipc/uts/net/cgroup namespaces, the mount namespace last", () => {
    const ctx = fakeContext();
    prep(ctx);
    const proc = makeSpecFor(["sh"]).process;
    expect(() => execInContainer(ctx, target, proc, ["/sys/fs/cgroup/memory/x/cgroup.procs"])).toThrow(ExecveCalled);
    expect(ctx.fs.ops[0]).toBe("write /sys/fs/cgroup/memory/x/cgroup.procs 0");
    const ns = ctx.sys.callsOf("setns").map((a) => a.nstype);
    expect(ns).toEqual([CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWNS]);
    expect(ctx.sys.callNames().at(-2)).toBe("seccompSetFilter");
  });

  test("setns(mnt) EINVAL (shared fs_struct) → unshare(CLONE_FS) and retry", () => {
    const ctx = fakeContext();
    prep(ctx);
    ctx.sys.failNext("setns", Errno.EINVAL, 1, (a) => a.nstype === CLONE_NEWNS);
    expect(() => execInContainer(ctx, target, makeSpecFor(["sh"]).process, [])).toThrow(ExecveCalled);
    expect(ctx.sys.callsOf("unshare")).toEqual([{ flags: CLONE_FS }]);
    expect(ctx.sys.callsOf("setns").filter((a) => a.nstype === CLONE_NEWNS).length).toBe(2);
  });

  test("a recycled pid (other start time) is refused before anything is joined", () => {
    const ctx = fakeContext();
    prep(ctx);
    let err: unknown;
    try {
      execInContainer(ctx, { pid: 4242, startTime: 1 }, makeSpecFor(["sh"]).process, []);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LaunchError);
    expect(ctx.sys.callsOf("setns")).toEqual([]);
  });
});
