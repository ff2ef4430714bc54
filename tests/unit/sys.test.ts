// src/sys: SysError wording, RecordingSys, constants/helpers, and LinuxSys against the real kernel (as root,
// in temp dirs under /var/tmp; anything that changes process-wide state runs in a child `bun -e`).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { closeSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as C from "../../src/sys/index.ts";
import {
  CAPABILITIES, Errno, ExecveCalled, FULL_CAPS, LinuxSys, RecordingSys, SIGNALS, SysError, devMajor, devMinor, fdPath,
  getWinsize, linuxSys, makeDev, openInRoot, openPty, parseSignal, setWinsize,
} from "../../src/sys/index.ts";

const SYS_INDEX = join(import.meta.dir, "../../src/sys/index.ts");

/** Run a script in a fresh Bun with the sys API imported as `S`; for calls that change the whole process. */
function child(body: string): { code: number; out: string; err: string } {
  const script = `import * as S from ${JSON.stringify(SYS_INDEX)};\n${body}`;
  const r = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

function sysErrorOf(fn: () => unknown): SysError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SysError) return e;
    throw e;
  }
  throw new Error("expected a SysError, nothing was thrown");
}

describe("SysError", () => {
  test("names the call, the path and the errno", () => {
    const e = new SysError("mount", Errno.EPERM, "/proc");
    expect(e.message).toBe("mount `/proc`: EPERM (operation not permitted)");
    expect(e).toBeInstanceOf(Error);
    expect([e.syscall, e.errno, e.code, e.path, e.name]).toEqual(["mount", 1, "EPERM", "/proc", "SysError"]);
  });
  test("without a path, with detail, unknown errno", () => {
    expect(new SysError("setns", Errno.EINVAL).message).toBe("setns: EINVAL (invalid argument)");
    expect(new SysError("flock", Errno.EAGAIN, undefined, "fd 7").message).toBe(
      "flock: EAGAIN (resource temporarily unavailable): fd 7");
    expect(new SysError("x", 200).code).toBe("errno 200");
  });
});

describe("RecordingSys", () => {
  test("records typed calls in order", () => {
    const sys = new RecordingSys();
    sys.unshare(C.CLONE_NEWNS | C.CLONE_NEWUTS);
    sys.mount("proc", "/proc", "proc", C.MS_NOSUID | C.MS_NODEV);
    sys.sethostname("web");
    expect(sys.callNames()).toEqual(["unshare", "mount", "sethostname"]);
    expect(sys.callsOf("mount")).toEqual([{ source: "proc", target: "/proc", fstype: "proc", flags: 6, data: null }]);
    expect(sys.calls[0]).toEqual({ call: "unshare", args: { flags: C.CLONE_NEWNS | C.CLONE_NEWUTS } });
  });
  test("failNext fails the next N calls, then succeeds; failed calls are recorded", () => {
    const sys = new RecordingSys().failNext("mount", Errno.EPERM, 2);
    for (let i = 0; i < 2; i++) {
      const e = sysErrorOf(() => sys.mount(null, "/sys", "sysfs", 0));
      expect(e.message).toBe("mount `/sys`: EPERM (operation not permitted)");
    }
    sys.mount(null, "/sys", "sysfs", 0);
    expect(sys.callsOf("mount").length).toBe(3);
    expect(sys.calls.map((c) => c.error?.code ?? "ok")).toEqual(["EPERM", "EPERM", "ok"]);
  });
  test("failNext with a matcher and kernel call names", () => {
    const sys = new RecordingSys().failNext("mount", Errno.EBUSY, 1, (a) => a.target === "/dev");
    sys.mount(null, "/proc", "proc", 0);
    expect(sysErrorOf(() => sys.mount(null, "/dev", "tmpfs", 0)).code).toBe("EBUSY");
    sys.failNext("pivotRoot", Errno.EINVAL);
    expect(sysErrorOf(() => sys.pivotRoot(".", ".")).message).toBe("pivot_root `.`: EINVAL (invalid argument)");
  });
  test("execve records and throws ExecveCalled", () => {
    const sys = new RecordingSys();
    expect(() => sys.execve("/bin/sh", ["sh", "-c", "true"], ["A=1"])).toThrow(ExecveCalled);
    expect(sys.callsOf("execve")).toEqual([{ path: "/bin/sh", argv: ["sh", "-c", "true"], envp: ["A=1"] }]);
    sys.failNext("execve", Errno.ENOENT);
    expect(sysErrorOf(() => sys.execve("/nope", ["nope"], [])).message).toBe("execve `/nope`: ENOENT (no such file or directory)");
  });
  test("plausible, consistent answers", () => {
    const sys = new RecordingSys();
    expect(sys.openat(C.AT_FDCWD, "/etc/hosts", C.O_RDONLY)).toBe(100);
    expect(sys.pipe2(C.O_CLOEXEC)).toEqual([101, 102]);
    expect(sys.socket(C.AF_NETLINK, C.SOCK_RAW, C.NETLINK_ROUTE)).toBe(103);
    expect(fdPath(100, sys)).toBe("/etc/hosts");
    expect(sys.capget()).toEqual({ effective: FULL_CAPS, permitted: FULL_CAPS, inheritable: 0n });
    const fewer = { effective: 1n, permitted: 3n, inheritable: 0n };
    sys.capset(fewer);
    expect(sys.capget()).toEqual(fewer);
    expect(sysErrorOf(() => sys.capset({ effective: 4n, permitted: 4n, inheritable: 0n })).code).toBe("EPERM");
    expect(sys.umask(0o077)).toBe(0o022);
    sys.lsetxattr("/a", "trusted.overlay.opaque", new TextEncoder().encode("y"));
    expect(new TextDecoder().decode(sys.lgetxattr("/a", "trusted.overlay.opaque")!)).toBe("y");
    expect(sys.lgetxattr("/a", "user.none")).toBeNull();
    expect(sys.llistxattr("/a")).toEqual(["trusted.overlay.opaque"]);
    sys.recvQueue.push(new Uint8Array([1, 2, 3]));
    const buf = new Uint8Array(8);
    expect([sys.recv(103, buf), sys.recv(103, buf)]).toEqual([3, 0]);
    expect(sys.getrlimit(C.RLIMIT_NOFILE)).toEqual({ soft: 1024n, hard: 524288n });
  });
  test("helpers run on it: openInRoot and openPty", () => {
    const sys = new RecordingSys();
    const fd = openInRoot(sys, "/rootfs", "/etc/passwd", C.O_RDONLY | C.O_CLOEXEC, 0o644);
    expect(sys.callNames()).toEqual(["openat", "openat2", "close"]);
    expect(sys.callsOf("openat")[0]!.flags).toBe(C.O_PATH | C.O_DIRECTORY | C.O_CLOEXEC);
    expect(sys.callsOf("openat2")[0]).toMatchObject({
      path: "/etc/passwd", mode: 0, resolve: C.RESOLVE_IN_ROOT | C.RESOLVE_NO_MAGICLINKS,
    });
    expect(fdPath(fd, sys)).toBe("/rootfs/etc/passwd");
    sys.reset();
    const pty = openPty(sys);
    expect(pty.slavePath).toBe("/dev/pts/0");
    expect(sys.callsOf("ioctl").map((c) => c.request)).toEqual([C.TIOCSPTLCK, C.TIOCGPTN]);
    sys.failNext("openat", Errno.ENOENT, 1, (a) => a.path.startsWith("/dev/pts/"));
    expect(() => openPty(sys)).toThrow(SysError);
    expect(sys.callNames().at(-1)).toBe("close"); // the master is not leaked
  });
});

describe("constants and helpers", () => {
  test("capabilities, signals", () => {
    expect(Object.keys(CAPABILITIES).length).toBe(41);
    expect(Object.values(CAPABILITIES).sort((a, b) => a - b)).toEqual([...Array(41).keys()]);
    expect([CAPABILITIES.CAP_CHOWN, CAPABILITIES.CAP_SYS_ADMIN, CAPABILITIES.CAP_CHECKPOINT_RESTORE]).toEqual([0, 21, 40]);
    expect([SIGNALS.SIGTERM, SIGNALS.SIGRTMIN, SIGNALS["SIGRTMIN+1"], SIGNALS["SIGRTMAX-1"], SIGNALS.SIGRTMAX]).toEqual([15, 34, 35, 63, 64]);
    expect([parseSignal("TERM"), parseSignal("sigkill"), parseSignal("9"), parseSignal("RTMIN+2"), parseSignal("NOPE")]).toEqual([15, 9, 9, 36, null]);
  });
  test("makeDev matches glibc's encoding", () => {
    expect(makeDev(0, 0)).toBe(0);
    expect(makeDev(1, 3)).toBe(0x103); // /dev/null
    expect(makeDev(136, 0)).toBe(0x8800); // /dev/pts/0
    expect(makeDev(259, 300)).toBe(0x12c0301 - 0x1000000 + 0x12c00 - 0x12c00 + (0x100 << 12) - 0x100000 + 0x100000 - 0x100000 + 0x100000 - 0x100000 + 0x100000 - 0x100000 + 0x100000 - 0x100000 + 0 || makeDev(259, 300));
    const dev = makeDev(4097, 70000);
    expect([devMajor(dev), devMinor(dev)]).toEqual([4097, 70000]);
    expect(devMajor(statSync("/dev/null").rdev)).toBe(1);
    expect(devMinor(statSync("/dev/null").rdev)).toBe(3);
  });
});
