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
    expect(makeDev(259, 300)).toBe(0x11032c); // values from Python's os.makedev (glibc)
    expect(makeDev(4097, 70000)).toBe(0x100011100170);
    const dev = makeDev(4097, 70000);
    expect([devMajor(dev), devMinor(dev)]).toEqual([4097, 70000]);
    expect(devMajor(statSync("/dev/null").rdev)).toBe(1);
    expect(devMinor(statSync("/dev/null").rdev)).toBe(3);
  });
});

describe("LinuxSys (real kernel)", () => {
  const sys = new LinuxSys();
  let dir = "";
  const opened: number[] = [];
  /** track fds so a failing test still closes them */
  const track = (fd: number) => (opened.push(fd), fd);
  beforeEach(() => {
    dir = mkdtempSync("/var/tmp/bunker-sys-");
  });
  afterEach(() => {
    for (const fd of opened.splice(0)) {
      try {
        closeSync(fd);
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("openat, close, and EBADF on a second close", () => {
    const p = join(dir, "f");
    const fd = sys.openat(C.AT_FDCWD, p, C.O_CREAT | C.O_WRONLY | C.O_CLOEXEC, 0o600);
    writeSync(fd, "hello");
    sys.close(fd);
    expect(readFileSync(p, "utf8")).toBe("hello");
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(sysErrorOf(() => sys.close(fd)).code).toBe("EBADF");
    const e = sysErrorOf(() => sys.openat(C.AT_FDCWD, join(dir, "missing"), C.O_RDONLY));
    expect(e.message).toBe(`openat \`${join(dir, "missing")}\`: ENOENT (no such file or directory)`);
  });

  test("mknodat: whiteout char device 0/0 and a fifo; fchownat; fchmodat", () => {
    sys.mknodat(C.AT_FDCWD, join(dir, "wh"), C.S_IFCHR | 0, makeDev(0, 0));
    const st = lstatSync(join(dir, "wh"));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0);
    sys.mknodat(C.AT_FDCWD, join(dir, "fifo"), C.S_IFIFO | 0o644, 0);
    expect(lstatSync(join(dir, "fifo")).isFIFO()).toBe(true);
    sys.fchownat(C.AT_FDCWD, join(dir, "fifo"), 1234, 5678, 0);
    expect([lstatSync(join(dir, "fifo")).uid, lstatSync(join(dir, "fifo")).gid]).toEqual([1234, 5678]);
    symlinkSync("fifo", join(dir, "ln"));
    sys.fchownat(C.AT_FDCWD, join(dir, "ln"), 42, 43, C.AT_SYMLINK_NOFOLLOW);
    expect(lstatSync(join(dir, "ln")).uid).toBe(42);
    expect(lstatSync(join(dir, "fifo")).uid).toBe(1234);
    sys.fchmodat(C.AT_FDCWD, join(dir, "fifo"), 0o600, 0);
    expect(lstatSync(join(dir, "fifo")).mode & 0o7777).toBe(0o600);
    expect(sys.readlinkat(C.AT_FDCWD, join(dir, "ln"))).toBe("fifo");
    expect(sysErrorOf(() => sys.mknodat(C.AT_FDCWD, join(dir, "fifo"), C.S_IFIFO, 0)).code).toBe("EEXIST");
  });

  test("utimensat keeps nanoseconds", () => {
    const p = join(dir, "t");
    writeFileSync(p, "");
    sys.utimensat(C.AT_FDCWD, p, { sec: 1_600_000_000, nsec: 5 }, { sec: 1_700_000_000, nsec: 123_456_789 }, 0);
    const st = statSync(p, { bigint: true });
    expect(st.mtimeNs).toBe(1_700_000_000_123_456_789n);
    expect(st.atimeNs).toBe(1_600_000_000_000_000_005n);
  });

  test("xattrs: set, get, list, remove; missing reads as null", () => {
    const p = join(dir, "x");
    writeFileSync(p, "");
    sys.lsetxattr(p, "trusted.overlay.opaque", new TextEncoder().encode("y"));
    expect(new TextDecoder().decode(sys.lgetxattr(p, "trusted.overlay.opaque")!)).toBe("y");
    expect(sys.lgetxattr(p, "trusted.overlay.nothing")).toBeNull();
    let user = true;
    try {
      sys.lsetxattr(p, "user.x", new Uint8Array(0));
    } catch (e) {
      // some filesystems refuse user xattrs; that must surface as a SysError with EOPNOTSUPP
      expect(e).toBeInstanceOf(SysError);
      expect((e as SysError).code).toBe("EOPNOTSUPP");
      user = false;
    }
    if (user) {
      expect(sys.lgetxattr(p, "user.x")).toEqual(new Uint8Array(0));
      const big = new Uint8Array(3000).fill(7);
      sys.lsetxattr(p, "user.x", big);
      expect(sys.lgetxattr(p, "user.x")).toEqual(big);
    }
    expect(sys.llistxattr(p).sort()).toEqual(user ? ["trusted.overlay.opaque", "user.x"] : ["trusted.overlay.opaque"]);
    sys.lremovexattr(p, "trusted.overlay.opaque");
    expect(sys.lgetxattr(p, "trusted.overlay.opaque")).toBeNull();
    const e = sysErrorOf(() => sys.lremovexattr(p, "trusted.overlay.opaque"));
    expect([e.code, e.path]).toEqual(["ENODATA", p]);
  });

  test("openat2 RESOLVE_IN_ROOT confines symlinks to the root", () => {
    const root = join(dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/passwd"), "inside\n");
    symlinkSync("../../etc/passwd", join(root, "rel"));
    symlinkSync("/etc/passwd", join(root, "abs"));
    for (const name of ["rel", "abs", "/abs", "../../../abs"]) {
      const fd = track(openInRoot(sys, root, name, C.O_RDONLY | C.O_CLOEXEC));
      const buf = Buffer.alloc(64);
      expect(buf.subarray(0, readSync(fd, buf)).toString()).toBe("inside\n");
      expect(fdPath(fd)).toBe(join(root, "etc/passwd"));
    }
    // without the confinement the absolute link reaches the host's file
    const host = track(sys.openat(C.AT_FDCWD, join(root, "abs"), C.O_RDONLY | C.O_CLOEXEC));
    expect(fdPath(host)).toBe("/etc/passwd");
    // RESOLVE_BENEATH refuses to leave instead of confining
    const rootFd = track(sys.openat(C.AT_FDCWD, root, C.O_PATH | C.O_DIRECTORY | C.O_CLOEXEC));
    expect(sysErrorOf(() => sys.openat2(rootFd, "rel", C.O_RDONLY, 0, C.RESOLVE_BENEATH)).code).toBe("EXDEV");
    // O_CREAT inside the root with a mode
    const created = track(openInRoot(sys, root, "/etc/new", C.O_CREAT | C.O_WRONLY | C.O_CLOEXEC, 0o640));
    expect(fdPath(created)).toBe(join(root, "etc/new"));
    expect(statSync(join(root, "etc/new")).mode & 0o777).toBe(0o640 & ~process.umask());
  });

  test("flock: LOCK_EX|LOCK_NB conflicts on a second open file description", () => {
    const p = join(dir, "lock");
    const a = track(sys.openat(C.AT_FDCWD, p, C.O_CREAT | C.O_RDWR | C.O_CLOEXEC, 0o600));
    const b = track(sys.openat(C.AT_FDCWD, p, C.O_RDWR | C.O_CLOEXEC));
    sys.flock(a, C.LOCK_EX | C.LOCK_NB);
    const e = sysErrorOf(() => sys.flock(b, C.LOCK_EX | C.LOCK_NB));
    expect([e.syscall, e.code]).toEqual(["flock", "EAGAIN"]);
    sys.flock(a, C.LOCK_UN);
    sys.flock(b, C.LOCK_EX | C.LOCK_NB);
  });

  test("errors name the call and the path", () => {
    const target = join(dir, "no/such/dir");
    const e = sysErrorOf(() => sys.mount("tmpfs", target, "tmpfs", 0, "size=1m"));
    expect([e.syscall, e.code, e.path]).toEqual(["mount", "ENOENT", target]);
    expect(e.message).toBe(`mount \`${target}\`: ENOENT (no such file or directory)`);
    expect(sysErrorOf(() => sys.umount2(target, C.MNT_DETACH)).code).toBe("ENOENT");
    expect(sysErrorOf(() => sys.pivotRoot(target, target)).code).toBe("ENOENT");
    expect(sysErrorOf(() => sys.chdir(target)).message).toContain(`chdir \`${target}\`: ENOENT`);
    expect(sysErrorOf(() => sys.setns(-1, C.CLONE_NEWNET)).code).toBe("EBADF");
    expect(() => sys.openat(C.AT_FDCWD, "a\0b", C.O_RDONLY)).toThrow(TypeError);
  });

  test("netlink socket: bind, send a dump request, receive links", () => {
    const fd = track(sys.socket(C.AF_NETLINK, C.SOCK_RAW | C.SOCK_CLOEXEC, C.NETLINK_ROUTE));
    const sa = new DataView(new ArrayBuffer(12)); // sockaddr_nl {family, pad, pid, groups}
    sa.setUint16(0, C.AF_NETLINK, true);
    sys.bind(fd, new Uint8Array(sa.buffer));
    const req = new DataView(new ArrayBuffer(32)); // nlmsghdr + ifinfomsg
    req.setUint32(0, 32, true);
    req.setUint16(4, 18, true); // RTM_GETLINK
    req.setUint16(6, 0x1 | 0x300, true); // NLM_F_REQUEST | NLM_F_DUMP
    req.setUint32(8, 1, true);
    expect(sys.send(fd, new Uint8Array(req.buffer))).toBe(32);
    const buf = new Uint8Array(65536);
    const n = sys.recv(fd, buf);
    expect(n).toBeGreaterThan(16);
    expect(new DataView(buf.buffer).getUint16(4, true)).toBe(16); // RTM_NEWLINK
    sys.setsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUF, new Uint8Array(new Int32Array([1 << 20]).buffer));
  });

  test("pipe2, dup3, close-on-exec flag", () => {
    const [r, w] = sys.pipe2(C.O_CLOEXEC);
    track(r), track(w);
    expect(readFileSync(`/proc/self/fdinfo/${r}`, "utf8")).toMatch(/flags:\s+0*2\d{6}/);
    writeSync(w, "ping");
    const buf = Buffer.alloc(8);
    expect(buf.subarray(0, readSync(r, buf)).toString()).toBe("ping");
    const spare = track(sys.openat(C.AT_FDCWD, "/dev/null", C.O_RDONLY | C.O_CLOEXEC));
    sys.dup3(w, spare, 0);
    expect(fdPath(spare)).toMatch(/^pipe:\[\d+\]$/);
  });

  test("harmless process calls: prctl, capget, rlimits, umask, kill 0, pidfd", () => {
    expect([0, 1]).toContain(sys.prctl(C.PR_GET_NO_NEW_PRIVS));
    expect(sys.prctl(C.PR_CAPBSET_READ, CAPABILITIES.CAP_CHOWN!)).toBe(1);
    const name = sys.prctlGetName();
    expect(name.length).toBeGreaterThan(0);
    sys.prctlSetName("bunker-test-name-too-long");
    expect(sys.prctlGetName()).toBe("bunker-test-nam");
    sys.prctlSetName(name);
    const eff = BigInt("0x" + /CapEff:\s*([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]);
    expect(sys.capget().effective).toBe(eff);
    const lim = sys.getrlimit(C.RLIMIT_NOFILE);
    expect(lim.soft).toBeGreaterThan(0n);
    expect(lim.soft <= lim.hard).toBe(true);
    sys.setrlimit(C.RLIMIT_NOFILE, lim);
    const old = sys.umask(0o027);
    expect(sys.umask(old)).toBe(0o027);
    sys.kill(process.pid, 0);
    const pidfd = track(sys.pidfdOpen(process.pid));
    sys.pidfdSendSignal(pidfd, 0);
    expect(sysErrorOf(() => sys.prctl(-1)).code).toBe("EINVAL");
  });

  test("pty: open, set and read the window size", () => {
    const pty = openPty(linuxSys());
    track(pty.master), track(pty.slave);
    expect(pty.slavePath).toMatch(/^\/dev\/pts\/\d+$/);
    expect(fdPath(pty.slave)).toBe(pty.slavePath);
    setWinsize(pty.master, 40, 132);
    expect(getWinsize(pty.slave)).toEqual({ rows: 40, cols: 132 });
  });

  test("execve fails cleanly in-process", () => {
    const e = sysErrorOf(() => sys.execve(join(dir, "nope"), ["nope"], []));
    expect(e.message).toBe(`execve \`${join(dir, "nope")}\`: ENOENT (no such file or directory)`);
  });
});

describe("LinuxSys in a child process (replaces or changes the whole process)", () => {
  test("execve replaces Bun: argv, env, default signal dispositions", () => {
    const echo = child(`S.linuxSys().execve("/bin/echo", ["echo", "hello", "two words"], []);`);
    expect(echo).toEqual({ code: 0, out: "hello two words\n", err: "" });
    const env = child(`S.linuxSys().execve("/usr/bin/env", ["env"], ["A=1", "B=x y"]);`);
    expect(env.out).toBe("A=1\nB=x y\n");
    // Bun ignores SIGPIPE/SIGXFSZ; the new program must not inherit that
    const sig = child(`S.linuxSys().execve("/bin/grep", ["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"], []);`);
    expect(sig.out).toBe("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  });

  test("namespaces: unshare, private /, tmpfs mount, sethostname, then execve", () => {
    const dir = mkdtempSync("/var/tmp/bunker-sys-ns-");
    try {
      const r = child(`
        const sys = S.linuxSys();
        sys.unshare(S.CLONE_NEWNS | S.CLONE_NEWUTS);
        sys.mount(null, "/", null, S.MS_REC | S.MS_PRIVATE);
        sys.mount("tmpfs", ${JSON.stringify(dir)}, "tmpfs", S.MS_NOSUID | S.MS_NODEV, "size=1m,mode=0711");
        sys.sethostname("bunker-ns-test");
        sys.execve("/bin/sh", ["sh", "-c", "hostname; grep -c ' ${dir} tmpfs ' /proc/self/mounts"], []);
      `);
      expect(r).toEqual({ code: 0, out: "bunker-ns-test\n1\n", err: "" });
      // nothing leaked to the host
      expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("seccomp filter survives execve: uname gets EPERM", () => {
    const uname = process.arch === "arm64" ? 160 : 63;
    const r = child(`
      const sys = S.linuxSys();
      const f = new DataView(new ArrayBuffer(32));
      const ins = (i, code, jt, jf, k) => { f.setUint16(i*8, code, true); f.setUint8(i*8+2, jt); f.setUint8(i*8+3, jf); f.setUint32(i*8+4, k, true); };
      ins(0, 0x20, 0, 0, 0);                        // ld [nr]
      ins(1, 0x15, 0, 1, ${uname});                 // jeq uname ? next : skip
      ins(2, 0x06, 0, 0, S.SECCOMP_RET_ERRNO | 1);  // ret ERRNO(EPERM)
      ins(3, 0x06, 0, 0, S.SECCOMP_RET_ALLOW);      // ret ALLOW
      sys.prctl(S.PR_SET_NO_NEW_PRIVS, 1);
      sys.seccompSetFilter(new Uint8Array(f.buffer), 0);
      console.log(sys.prctl(S.PR_GET_SECCOMP));
      sys.execve("/bin/uname", ["uname"], []);
    `);
    expect(r.out).toBe("2\n");
    expect(r.err).toContain("uname");
    expect(r.code).not.toBe(0);
  });

  test("seccomp refuses a malformed program before the kernel sees it", () => {
    expect(sysErrorOf(() => new LinuxSys().seccompSetFilter(new Uint8Array(7), 0)).code).toBe("EINVAL");
  });
});
