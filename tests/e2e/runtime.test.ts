/**
 * launch() on the real kernel (root), with a hand-built spec over a busybox layer: namespaces, mounts,
 * /dev, /sys, cgroupfs, caps, seccomp, terminal, exit codes. Nothing may be left after each test
 * (tests/helpers/runtime-e2e.ts checks mounts, processes and fds).
 */
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LaunchError, launch } from "../../src/runtime/launch.ts";
import { makeSpec } from "../helpers/rootfs.ts";
import { PIPES, isRoot, useRuntimeFixture } from "../helpers/runtime-e2e.ts";

const fx = useRuntimeFixture();
const { run, sh, launchError, newCgroup } = fx;
const running = { push: (l: Parameters<typeof fx.track>[0]) => fx.track(l) };

describe("launch", () => {
  test("the user's process is PID 1, with the hostname and exit code passed through", async () => {
    const r = await run(sh("echo $$; hostname; cat /etc/hostname; exit 3"));
    expect(r.out).toBe("1\ntesthost\ntesthost\n");
    expect(r.code).toBe(3);
    // the parent went back to its own pid namespace: its later children are ordinary host processes
    const later = Bun.spawnSync(["readlink", "/proc/self/ns/pid"]);
    expect(later.stdout.toString().trim()).toBe(readlinkSync("/proc/self/ns/pid"));
  });

  test("a payload larger than a pipe buffer (a 200 KB environment) reaches init", async () => {
    // one string may not exceed 128 KiB (MAX_ARG_STRLEN), so 20 variables of 10 000 bytes
    const spec = sh("echo ${#V0} ${#V19}");
    for (let i = 0; i < 20; i++) spec.process.env.push(`V${i}=${"x".repeat(10_000)}`);
    expect((await run(spec)).out).toBe("10000 10000\n");
  });

  test("stdout and stderr stay apart in pipe mode; stdin is piped", async () => {
    const l = await launch(sh("cat; echo to-err >&2"), { io: { stdin: "pipe", stdout: "pipe", stderr: "pipe" } });
    running.push(l);
    l.stdin!.write("from-stdin\n");
    await l.stdin!.end();
    const [out, err] = await Promise.all([new Response(l.stdout).text(), new Response(l.stderr).text()]);
    expect(out).toBe("from-stdin\n");
    expect(err).toBe("to-err\n");
    expect((await l.wait()).exitCode).toBe(0);
  });

  test("a signal kill reads as 128+signal", async () => {
    const l = await launch(makeSpec(fx.rootfs(), ["sleep", "30"]), { io: PIPES });
    running.push(l);
    process.kill(l.pid, "SIGKILL");
    expect(await l.wait()).toEqual({ exitCode: 137, signal: 9 });
  });

  test("127 for a missing command, 126 for a file that is not executable, with runc's wording", async () => {
    const missing = await launchError(makeSpec(fx.rootfs(), ["nope"]));
    expect(missing.exitCode).toBe(127);
    expect(missing.message).toContain('exec: "nope": executable file not found in $PATH');
    const noexec = await launchError(makeSpec(fx.rootfs(), ["/etc/notexec.sh"]));
    expect(noexec.exitCode).toBe(126);
    expect(noexec.message).toContain("permission denied");
    const dir = await launchError(makeSpec(fx.rootfs(), ["/etc"]));
    expect(dir.exitCode).toBe(126);
  });

  test("Docker's default capabilities: CapBnd/CapEff a80425fb for root, nothing for a non-root user", async () => {
    const r = await run(sh("grep Cap /proc/self/status"));
    expect(r.out).toContain("CapBnd:\t00000000a80425fb");
    expect(r.out).toContain("CapEff:\t00000000a80425fb");
    expect(r.out).toContain("CapInh:\t0000000000000000");
    const spec = sh("id; grep -E 'CapEff|CapBnd' /proc/self/status");
    spec.process.user = { uid: 65534, gid: 65534, additionalGids: [5] };
    const u = await run(spec);
    expect(u.out).toContain("uid=65534(nobody) gid=65534(nogroup) groups=5(tty)");
    expect(u.out).toContain("CapEff:\t0000000000000000");
    expect(u.out).toContain("CapBnd:\t00000000a80425fb");
  });

  test("masked /proc paths read empty, read-only /proc paths and /sys refuse writes", async () => {
    const r = await run(sh(
      "cat /proc/keys | wc -c; cat /proc/timer_list | wc -c; ls /proc/acpi | wc -l; " +
      "echo 1 > /proc/sys/kernel/hostname 2>/dev/null && echo sys-writable; " +
      "mkdir /sys/x 2>/dev/null && echo sysfs-writable; mount | grep -E ' /sys (type|$)'; " +
      "touch /sys/fs/cgroup/x 2>/dev/null && echo cgroup-writable; true",
    ));
    expect(r.out.split("\n").slice(0, 3)).toEqual(["0", "0", "0"]);
    expect(r.out).not.toContain("writable");
    expect(r.out).toMatch(/sysfs on \/sys type sysfs \(ro,nosuid,nodev,noexec/);
  });

  test("/dev has Docker's nodes and links; /dev/pts is a new instance; /dev/shm is a 64m tmpfs", async () => {
    const r = await run(sh("ls /dev | sort | tr '\\n' ' '; echo; ls /dev/pts; mount | grep -E '/dev/(shm|pts) '"));
    const core = existsSync("/proc/kcore") ? "core " : "";
    expect(r.out.split("\n")[0]).toBe(core + "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ");
    expect(r.out).toContain("ptmx"); // only ptmx in a fresh devpts instance: no host terminals
    expect(r.out).toMatch(/shm on \/dev\/shm type tmpfs \(rw,nosuid,nodev,noexec,relatime,size=65536k/);
  });

  test("extra devices are created with their type, numbers, mode and owner (in subdirectories too)", async () => {
    const spec = sh("stat -c '%F %t:%T %a %u:%g' /dev/net/tun /dev/mynull");
    spec.devices = [
      { path: "/dev/net/tun", type: "c", major: 10, minor: 200, mode: 0o666, uid: 0, gid: 0 },
      { path: "/dev/mynull", type: "c", major: 1, minor: 3, mode: 0o600, uid: 65534, gid: 65534 },
    ];
    expect((await run(spec)).out).toBe("character special file a:c8 666 0:0\ncharacter special file 1:3 600 65534:65534\n");
  });

  test("terminal: the process gets a pty from the container's devpts (tty prints /dev/pts/0)", async () => {
    const spec = sh("tty; ls -l /dev/console | cut -c1-10");
    spec.process.terminal = true;
    const l = await launch(spec, { io: PIPES });
    running.push(l);
    expect(l.ptyMaster).toBeGreaterThan(2);
    expect((await l.wait()).exitCode).toBe(0);
    // the master keeps what was written until read; EIO once the slave side is gone and it is drained
    let out = "";
    const buf = Buffer.alloc(4096);
    try {
      for (let n; (n = readSync(l.ptyMaster!, buf)) > 0; ) out += buf.subarray(0, n).toString();
    } catch {}
    expect(out).toBe("/dev/pts/0\r\ncrw--w----\r\n");
  });

  test("terminal: the console size is set before the program runs; without one it stays 0x0", async () => {
    const readAll = (fd: number): string => {
      let out = "";
      const buf = Buffer.alloc(4096);
      try {
        for (let n; (n = readSync(fd, buf)) > 0; ) out += buf.subarray(0, n).toString();
      } catch {}
      return out;
    };
    // busybox's stty reports a 0-row terminal as an error on "standard input" instead of "0 0"
    for (const [size, want] of [[{ rows: 37, cols: 113 }, "37 113\r\n"], [undefined, "stty: standard input\r\n"]] as const) {
      const spec = sh("stty size");
      spec.process.terminal = true;
      if (size) spec.process.consoleSize = size;
      const l = await launch(spec, { io: PIPES });
      running.push(l);
      expect((await l.wait()).exitCode).toBe(0);
      expect(readAll(l.ptyMaster!)).toBe(want);
    }
  });

  test("read-only rootfs, working dir created like Docker, a bind mount and a tmpfs", async () => {
    const host = join(fx.rootfs().base, "vol");
    mkdirSync(host, { recursive: true });
    writeFileSync(join(host, "f"), "from-host\n");
    const spec = sh("pwd; cat /data/f; touch /data/g && echo data-rw; touch /ro/x 2>/dev/null || echo ro-refused; " +
      "touch /x 2>/dev/null || echo root-ro; touch /scratch/y && echo tmpfs-rw; mount | grep ' /scratch '");
    spec.process.cwd = "/work/dir";
    spec.mounts = [
      { destination: "/data", type: "bind", source: host, options: ["rbind"] },
      { destination: "/ro", type: "bind", source: host, options: ["rbind", "ro"] },
      { destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m"] },
    ];
    const r = await run(spec);
    expect(r.out).toContain("/work/dir\nfrom-host\ndata-rw\nro-refused\n");
    expect(r.out).toContain("tmpfs-rw");
    expect(r.out).toMatch(/tmpfs on \/scratch type tmpfs \(rw,nosuid,relatime,size=1024k/);
    expect(existsSync(join(host, "g"))).toBe(true);
    const ro = sh("pwd; touch /x 2>/dev/null || echo root-ro; touch /tmp/x 2>/dev/null || echo tmp-ro");
    ro.rootfs.readonly = true;
    ro.process.cwd = "/made/before/ro";
    expect((await run(ro)).out).toBe("/made/before/ro\nroot-ro\ntmp-ro\n");
  });

  test("many layers: lowerdirs longer than a page are mounted relative to their common parent", async () => {
    const snaps = join(fx.rootfs().base, "snapshots-with-a-long-enough-name");
    const lower: string[] = [];
    for (let n = 150; n >= 1; n--) {
      mkdirSync(join(snaps, String(n), "fs"), { recursive: true });
      lower.push(join(snaps, String(n), "fs"));
    }
    writeFileSync(join(snaps, "150", "fs", "top"), "top layer\n");
    // the busybox layer at the bottom, in the same snapshots dir (as the image store keeps them)
    cpSync(fx.rootfs().lower, join(snaps, "0", "fs"), { recursive: true, verbatimSymlinks: true });
    lower.push(join(snaps, "0", "fs"));
    expect(lower.join(":").length).toBeGreaterThan(4096);
    const spec = sh("cat /top");
    spec.rootfs.lower = lower;
    expect((await run(spec)).out).toBe("top layer\n");
  });

  test("a symlink in the image cannot send a mount out of the rootfs", async () => {
    // the layer gets /evil -> /../../<hostdir>; a tmpfs on /evil/x must land inside the container
    const hostDir = join(fx.rootfs().base, "host-target");
    mkdirSync(hostDir, { recursive: true });
    const layer = join(fx.rootfs().base, "evil-layer");
    mkdirSync(layer, { recursive: true });
    symlinkSync(`/../../..${hostDir}`, join(layer, "evil"));
    const spec = sh(`mount | grep -o ' on [^ ]*/x type tmpfs'; ls -d ${hostDir}/x`);
    spec.rootfs.lower = [layer, fx.rootfs().lower];
    spec.mounts = [{ destination: "/evil/x", type: "tmpfs", source: "tmpfs", options: [] }];
    const r = await run(spec);
    expect(r.code).toBe(0);
    // followed inside the root, like Docker: the target is created under the container's /
    expect(r.out).toBe(` on ${hostDir}/x type tmpfs\n${hostDir}/x\n`);
    expect(readdirSync(hostDir)).toEqual([]); // nothing created on the host side
  });

  test("sysctls and the container's own network namespace (loopback only)", async () => {
    const spec = sh("cat /proc/sys/net/ipv4/ip_forward; ls /sys/class/net | tr '\\n' ' '");
    spec.sysctl = { "net.ipv4.ip_forward": "1" };
    const r = await run(spec);
    expect(r.out).toBe("1\nlo ");
  });

  test("beforeExec runs with init's host pid in its new namespaces; the cgroup it places init in is the container's /sys/fs/cgroup", async () => {
    const cg = newCgroup();
    cg.create({ memory: 64 * 1024 * 1024 });
    let seen = -1;
    let pidns = "";
    const spec = sh("cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /proc/self/cgroup | grep memory");
    const r = await run(spec, {
      beforeExec: async (pid) => {
        seen = pid;
        pidns = readlinkSync(`/proc/${pid}/ns/pid`);
        cg.addProcess(pid);
      },
    });
    expect(seen).toBe(r.pid);
    expect(pidns).not.toBe(readlinkSync("/proc/self/ns/pid"));
    // the container sees its own memory cgroup as the root, with its limit
    expect(r.out).toMatch(new RegExp(`^${64 * 1024 * 1024}\\n\\d+:memory:/\\n$`));
  });

  test("without a cgroup namespace the container's own cgroup dirs are bound read-only onto /sys/fs/cgroup", async () => {
    const cg = newCgroup();
    cg.create({ memory: 32 * 1024 * 1024 });
    const spec = sh("cat /sys/fs/cgroup/memory/memory.limit_in_bytes; mount | grep -c 'cgroup/memory type cgroup (ro'");
    spec.namespaces.cgroup = false;
    const r = await run(spec, { beforeExec: async (pid) => cg.addProcess(pid) });
    expect(r.out).toBe(`${32 * 1024 * 1024}\n1\n`);
  });

  test("rlimits (lowered), no_new_privs, umask and the host pid namespace option", async () => {
    const spec = sh("ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status; umask");
    spec.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 100, hard: 200 }];
    spec.process.noNewPrivileges = true;
    spec.process.user.umask = 0o077;
    expect((await run(spec)).out).toBe("100\n200\nNoNewPrivs:\t1\n0077\n");
    const host = sh("echo $$");
    host.namespaces.pid = false;
    const r = await run(host);
    expect(Number(r.out)).toBe(r.pid);
  });

  test("a failing beforeExec stops the launch with exit 125 and leaves no process", async () => {
    const err = await launch(makeSpec(fx.rootfs(), ["true"]), { io: PIPES, beforeExec: async () => { throw new Error("no network"); } }).catch((e) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect(err.exitCode).toBe(125);
    expect(err.message).toContain("no network");
  });

  test("seccomp: the given BPF program is installed last (mkdir → EPERM)", async () => {
    // ld [0] (nr); jeq 83 (mkdir) → errno EPERM; else allow. x86_64 only, like the test host.
    const prog = Buffer.alloc(32);
    const ins = (i: number, code: number, jt: number, jf: number, k: number) => {
      prog.writeUInt16LE(code, i * 8);
      prog[i * 8 + 2] = jt;
      prog[i * 8 + 3] = jf;
      prog.writeUInt32LE(k >>> 0, i * 8 + 4);
    };
    ins(0, 0x20, 0, 0, 0);
    ins(1, 0x15, 0, 1, 83);
    ins(2, 0x06, 0, 0, 0x00050001);
    ins(3, 0x06, 0, 0, 0x7fff0000);
    const spec = sh("mkdir /tmp/x 2>&1; grep Seccomp: /proc/self/status");
    spec.process.seccomp = prog.toString("base64");
    const r = await run(spec);
    expect(r.out).toContain("Operation not permitted");
    expect(r.out).toContain("Seccomp:\t2");
  });
});
