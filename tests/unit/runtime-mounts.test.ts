// src/runtime/init mount helpers: safe target resolution, option parsing, overlay options, cgroupfs, lookup.
import { describe, expect, test } from "bun:test";
import { writeSync, closeSync } from "node:fs";
import { ParentChannel } from "../../src/runtime/channel.ts";
import { LaunchError } from "../../src/runtime/errors.ts";
import { mountCgroupfs, parseProcCgroup } from "../../src/runtime/init/cgroupfs.ts";
import { lookPath } from "../../src/runtime/init/exec.ts";
import { mountAt, openInRootFd, parseMountOptions, relInRoot } from "../../src/runtime/init/mountat.ts";
import { mountUser } from "../../src/runtime/init/mounts.ts";
import { overlayData } from "../../src/runtime/init/rootfs.ts";
import { readStartTime } from "../../src/runtime/proc.ts";
import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, O_CLOEXEC, O_PATH, RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
} from "../../src/sys/constants.ts";
import { Errno } from "../../src/sys/errors.ts";
import { linuxSys } from "../../src/sys/linux.ts";
import { fakeContext } from "../helpers/runtime-fakes.ts";
import { makeSpecFor } from "../helpers/runtime-spec.ts";

const ROOT = 3; // the rootfs fd the steps are given

describe("target resolution inside the rootfs", () => {
  test("relInRoot folds .. at the root and refuses relative destinations", () => {
    expect(relInRoot("/data")).toBe("data");
    expect(relInRoot("/a/b/../c/")).toBe("a/c");
    expect(relInRoot("/../../../etc")).toBe("etc");
    expect(relInRoot("/")).toBe(".");
    expect(() => relInRoot("data")).toThrow(/absolute/);
  });

  test("openat2 relative to the root fd with RESOLVE_IN_ROOT; the mount goes onto /proc/self/fd/N", () => {
    const ctx = fakeContext();
    mountAt(ctx, ROOT, "/../../host/etc", "tmpfs", "tmpfs", parseMountOptions([]));
    const open = ctx.sys.callsOf("openat2")[0]!;
    expect(open).toEqual({ dirfd: ROOT, path: "host/etc", flags: O_PATH | O_CLOEXEC, mode: 0, resolve: RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS });
    const m = ctx.sys.callsOf("mount")[0]!;
    expect(m.target).toMatch(/^\/proc\/self\/fd\/\d+$/);
    // never a path string built from the host: nothing but the fd
    expect(ctx.sys.callsOf("mount").every((a) => a.target.startsWith("/proc/self/fd/"))).toBe(true);
  });

  test("missing components are created one by one through the resolved parent's fd", () => {
    const ctx = fakeContext();
    // "a/b/c" missing, then "a" exists, "a/b" missing, (created) ...
    ctx.sys.failNext("openat2", Errno.ENOENT, 1, (a) => a.path === "a/b/c");
    ctx.sys.failNext("openat2", Errno.ENOENT, 1, (a) => a.path === "a/b");
    ctx.sys.failNext("openat2", Errno.ENOENT, 1, (a) => a.path === "a/b/c");
    const fd = openInRootFd(ctx, ROOT, "/a/b/c", "file");
    expect(fd).toBeGreaterThan(0);
    expect(ctx.fs.ops).toHaveLength(2);
    expect(ctx.fs.ops[0]).toMatch(/^mkdir \/proc\/self\/fd\/\d+\/b$/);
    expect(ctx.fs.ops[1]).toMatch(/^touch \/proc\/self\/fd\/\d+\/c$/);
  });

  test("other resolution errors (e.g. ELOOP, EXDEV) are not papered over", () => {
    const ctx = fakeContext();
    ctx.sys.failNext("openat2", Errno.ELOOP);
    expect(() => openInRootFd(ctx, ROOT, "/x", "dir")).toThrow(/ELOOP/);
    expect(ctx.fs.ops).toEqual([]);
  });

  test("on the real kernel: an absolute symlink in the image cannot lead a mount target out of the root", () => {
    // no mount here: only the resolution, which is what decides where a mount would land
    const { mkdtempSync, mkdirSync, symlinkSync, rmSync } = require("node:fs") as typeof import("node:fs");
    const base = mkdtempSync("/tmp/bunker-rt-unit-");
    try {
      const root = `${base}/root`;
      mkdirSync(`${root}/tmp/hostdir`, { recursive: true });
      mkdirSync(`${base}/hostdir`);
      symlinkSync("/../../tmp/hostdir", `${root}/evil`);
      symlinkSync(`${base}/hostdir`, `${root}/evil2`);
      const sys = linuxSys();
      const rootFd = sys.openat(-100, root, O_PATH | O_CLOEXEC);
      const ctx = { sys, fs: fakeContext().fs };
      try {
        for (const [link, want] of [["/evil", `${root}/tmp/hostdir`], ["/evil2", null]] as const) {
          let fd = -1;
          try {
            fd = openInRootFd(ctx, rootFd, link);
            expect(sys.readlinkat(-100, `/proc/self/fd/${fd}`)).toBe(want ?? "(should not resolve)");
          } catch (e) {
            // evil2 points at a host path that does not exist inside the root: ENOENT, never the host dir
            expect(want).toBeNull();
            expect(String(e)).toContain("ENOENT");
          } finally {
            if (fd >= 0) sys.close(fd);
          }
        }
      } finally {
        sys.close(rootFd);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe("mount options", () => {
  test("flags, propagation and data are split like mount(8)", () => {
    expect(parseMountOptions(["ro", "nosuid", "nodev", "size=64m", "mode=1777", "rprivate"])).toEqual({
      flags: MS_RDONLY | MS_NOSUID | MS_NODEV, propagation: [MS_PRIVATE | MS_REC], data: "size=64m,mode=1777",
    });
    expect(parseMountOptions(["rbind", "ro", "rw"]).flags).toBe(MS_BIND | MS_REC);
  });

  test("a read-only bind is bound first, then remounted read-only on the new mount", () => {
    const ctx = fakeContext();
    ctx.fs.kinds.set("/host/data", "dir");
    const spec = makeSpecFor(["true"]);
    spec.mounts = [{ destination: "/data", type: "bind", source: "/host/data", options: ["rbind", "ro", "noexec"] }];
    mountUser(ctx, spec, ROOT);
    const [bind, remount] = ctx.sys.callsOf("mount");
    expect(bind).toMatchObject({ source: "/host/data", fstype: null, flags: MS_BIND | MS_REC });
    expect(remount).toMatchObject({ source: null, flags: MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOEXEC });
    expect(remount!.target).not.toBe(bind!.target); // re-resolved after mounting, so it hits the new mount
  });

  test("a file bind gets a file target; a missing bind source is an error; / is refused", () => {
    const ctx = fakeContext();
    ctx.fs.kinds.set("/host/f", "file");
    ctx.sys.failNext("openat2", Errno.ENOENT, 2, (a) => a.path === "etc/f");
    const spec = makeSpecFor(["true"]);
    spec.mounts = [{ destination: "/etc/f", type: "bind", source: "/host/f", options: [] }];
    mountUser(ctx, spec, ROOT);
    expect(ctx.fs.ops.some((o) => /^touch .*\/f$/.test(o))).toBe(true);
    spec.mounts = [{ destination: "/x", type: "bind", source: "/missing", options: [] }];
    expect(() => mountUser(fakeContext(), spec, ROOT)).toThrow(/does not exist/);
    spec.mounts = [{ destination: "/", type: "tmpfs", source: "tmpfs", options: [] }];
    expect(() => mountUser(fakeContext(), spec, ROOT)).toThrow(/invalid mount destination/);
  });
});

describe("overlay options", () => {
  test("absolute lowerdirs while they fit in a page; relative to their common parent when not", () => {
    const r = { lower: ["/s/2/fs", "/s/1/fs"], upper: "/c/u", work: "/c/w", merged: "/c/m", readonly: false };
    expect(overlayData(r)).toEqual({ data: "lowerdir=/s/2/fs:/s/1/fs,upperdir=/c/u,workdir=/c/w" });
    const many = Array.from({ length: 200 }, (_, i) => `/var/lib/bunker/snapshots/${200 - i}/fs`);
    const big = overlayData({ ...r, lower: many });
    expect(big.cwd).toBe("/var/lib/bunker/snapshots");
    expect(big.data.startsWith("lowerdir=200/fs:199/fs:")).toBe(true);
    expect(big.data.length).toBeLessThan(4096);
  });

  test("separators in paths are escaped", () => {
    expect(overlayData({ lower: ["/a:b", "/c,d"], upper: "", work: "", merged: "/m", readonly: true }).data).toBe("lowerdir=/a\\:b:/c\\,d");
  });
});

describe("/sys/fs/cgroup", () => {
  test("parses /proc/self/cgroup", () => {
    expect(parseProcCgroup("4:memory:/a\n1:name=systemd:/\n0::/a\n")).toEqual([
      { id: "4", controllers: "memory", path: "/a" }, { id: "1", controllers: "name=systemd", path: "/" }, { id: "0", controllers: "", path: "/a" },
    ]);
  });

  test("v2 with a cgroup namespace: one read-only cgroup2 mount", () => {
    const ctx = fakeContext();
    ctx.fs.files.set("/proc/self/cgroup", "0::/bunker/x\n");
    mountCgroupfs(ctx, makeSpecFor(["true"]), ROOT);
    const m = ctx.sys.callsOf("mount");
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ fstype: "cgroup2", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY });
  });

  test("engine on v2 in a hybrid host: only cgroup2, though init also sits in (the engine's) v1 hierarchies", () => {
    const ctx = fakeContext();
    ctx.fs.files.set("/proc/self/cgroup", "4:memory:/user.slice\n1:name=systemd:/user.slice\n0::/bunker/c1\n");
    const spec = makeSpecFor(["true"]);
    spec.cgroupV2Dir = "/sys/fs/cgroup/unified/bunker/c1";
    mountCgroupfs(ctx, spec, ROOT);
    expect(ctx.sys.callsOf("mount").map((m) => m.fstype)).toEqual(["cgroup2"]);
    // without a cgroup namespace the bind comes from the v2 dir itself, not /sys/fs/cgroup + the 0:: path
    spec.namespaces.cgroup = false;
    const ctx2 = fakeContext();
    ctx2.fs.files.set("/proc/self/cgroup", "4:memory:/user.slice\n0::/bunker/c1\n");
    mountCgroupfs(ctx2, spec, ROOT);
    // (the bind's read-only remount has no source)
    expect(ctx2.sys.callsOf("mount").map((m) => m.source).filter(Boolean)).toEqual(["/sys/fs/cgroup/unified/bunker/c1"]);
  });

  test("without a cgroup namespace: the container's own cgroup dirs are bound read-only", () => {
    const ctx = fakeContext();
    const spec = makeSpecFor(["true"]);
    spec.namespaces.cgroup = false;
    mountCgroupfs(ctx, spec, ROOT);
    const sources = ctx.sys.callsOf("mount").map((a) => a.source);
    expect(sources).toContain("/sys/fs/cgroup/memory/c1");
    expect(sources).toContain("/sys/fs/cgroup/systemd/c1");
  });
});

describe("program lookup", () => {
  test("runc's wording and Docker's exit codes", () => {
    const ctx = fakeContext();
    ctx.fs.kinds.set("/usr/bin/app", "file");
    ctx.fs.exec.add("/usr/bin/app");
    expect(lookPath(ctx, "app", ["PATH=/bin:/usr/bin"])).toBe("/usr/bin/app");
    expect(lookPath(ctx, "sh", [])).toBe("/bin/sh"); // no PATH: Docker's default
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as LaunchError;
      }
      throw new Error("no error");
    };
    expect(err(() => lookPath(ctx, "nope", ["PATH=/bin"]))).toMatchObject({ exitCode: 127, message: expect.stringContaining('exec: "nope": executable file not found in $PATH') });
    expect(err(() => lookPath(ctx, "/nope", []))).toMatchObject({ exitCode: 127, message: expect.stringContaining("stat /nope: no such file or directory") });
    expect(err(() => lookPath(ctx, "/bin", []))).toMatchObject({ exitCode: 126, message: expect.stringContaining("is a directory") });
  });
});

describe("parent side helpers", () => {
  test("readStartTime counts fields after the last ')' (comm may hold spaces and parens)", () => {
    const stat = "77 (a) b) c) S 1 77 77 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 1000 10";
    expect(readStartTime(77, { readFile: () => stat })).toBe(123456);
    expect(readStartTime(77, { readFile: () => { throw new Error("gone"); } })).toBeNull();
    expect(readStartTime(process.pid)).toBeGreaterThan(0);
  });

  test("ParentChannel reads newline-delimited messages across chunks and reports init's errors", async () => {
    const sys = linuxSys();
    const [r, w] = sys.pipe2(O_CLOEXEC);
    const ch = new ParentChannel(r);
    try {
      writeSync(w, '{"t":"created"}\n{"t":"ex');
      expect(await ch.waitForCreated()).toEqual({ t: "created" });
      writeSync(w, 'ec"}\n{"t":"error","stage":"execve","errno":13,"msg":"exec: \\"x\\": permission denied","exitCode":126}\n');
      closeSync(w);
      const e = await ch.waitForExec().catch((x) => x);
      expect(e).toBeInstanceOf(LaunchError);
      expect([e.exitCode, e.stage, e.message]).toEqual([126, "execve", 'unable to start container process: exec: "x": permission denied']);
    } finally {
      ch.cancel();
      sys.close(r);
    }
  });
});
