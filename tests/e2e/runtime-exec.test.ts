/**
 * execIn(), --init and Docker's default seccomp profile on the real kernel (root), over a busybox layer.
 * Nothing may be left after each test (tests/helpers/runtime-e2e.ts).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, readSync, readlinkSync } from "node:fs";
import { LaunchError, execIn, launch } from "../../src/runtime/launch.ts";
import { makeSpec } from "../helpers/rootfs.ts";
import { PIPES, isRoot, useRuntimeFixture } from "../helpers/runtime-e2e.ts";

const fx = useRuntimeFixture();
const { run, sh, launchError, newCgroup } = fx;
const running = { push: (l: Parameters<typeof fx.track>[0]) => fx.track(l) };

describe("Docker's default seccomp profile", () => {
  test("init's last steps and the program run under it; what it forbids is refused", async () => {
    const { defaultSeccompProgram } = await import("../../src/runtime/seccomp/index.ts");
    const spec = sh("grep Seccomp: /proc/self/status; echo 1 > /tmp/ok && cat /tmp/ok; unshare -U true 2>/dev/null || echo unshare-refused");
    spec.process.seccomp = defaultSeccompProgram(spec.process.capabilities.bounding);
    const r = await run(spec);
    expect(r.out).toBe("Seccomp:\t2\n1\nunshare-refused\n");
    expect(r.code).toBe(0);
    // a non-root user and exec into the container under the same profile
    const c = await launch(makeSpec(fx.rootfs(), ["sleep", "30"], { process: { ...spec.process, args: ["sleep", "30"] } }), { io: PIPES });
    running.push(c);
    const e = await execIn(c, { ...spec.process, args: ["id", "-u"], user: { uid: 65534, gid: 65534, additionalGids: [] } }, { io: PIPES });
    const [out, st] = await Promise.all([new Response(e.stdout).text(), e.wait()]);
    expect([out, st.exitCode]).toEqual(["65534\n", 0]);
  });
});

describe("--init", () => {
  test("PID 1 is a reaper: the program is its child, orphans are reaped, signals forwarded, status passed on", async () => {
    const spec = sh("echo $$; (sleep 0.1 &); sleep 0.4; ps -o stat,comm | grep -c Z; exit 5");
    spec.process.init = true;
    const r = await run(spec);
    const [pid, zombies] = r.out.trim().split("\n");
    expect(Number(pid)).toBeGreaterThan(1);
    expect(zombies).toBe("0");
    expect(r.code).toBe(5);

    const t = sh("trap 'echo term; exit 7' TERM; echo ready; while :; do sleep 0.05; done");
    t.process.init = true;
    const l = await launch(t, { io: PIPES });
    running.push(l);
    const out = new Response(l.stdout).text();
    await Bun.sleep(200);
    expect(readFileSync(`/proc/${l.pid}/comm`, "utf8")).toBe("bunker-init\n");
    process.kill(l.pid, "SIGTERM");
    expect((await l.wait()).exitCode).toBe(7);
    expect(await out).toBe("ready\nterm\n");
  });

  test("a killed program gives 128+signal; 127 still reaches the engine", async () => {
    const k = sh("kill -9 $$");
    k.process.init = true;
    expect((await run(k)).code).toBe(137);
    const missing = makeSpec(fx.rootfs(), ["nope"]);
    missing.process.init = true;
    const e = await launchError(missing);
    expect(e.exitCode).toBe(127);
  });
});

describe("execIn", () => {
  test("joins the container's namespaces: its hostname, its PID 1, its caps; exit code passes through", async () => {
    const spec = makeSpec(fx.rootfs(), ["sleep", "30"]);
    const c = await launch(spec, { io: PIPES });
    running.push(c);
    const script = "hostname; ps -o pid,comm | grep -w 1; grep CapBnd /proc/self/status; ls /proc/1/root/dev/pts; ulimit -n; pwd; exit 4";
    const proc = { ...spec.process, args: ["sh", "-c", script], cwd: "/tmp", rlimits: [{ type: "nofile", soft: 123, hard: 456 }] };
    const e = await execIn(c, proc, { io: PIPES });
    const [out, status] = await Promise.all([new Response(e.stdout).text(), e.wait()]);
    expect(out).toMatch(/^testhost\n\s*1 sleep\nCapBnd:\t00000000a80425fb\nptmx\n123\n\/tmp\n$/);
    expect(status.exitCode).toBe(4);
    const bg = await execIn(c, { ...spec.process, args: ["sleep", "30"] }, { io: PIPES });
    running.push(bg);
    for (const ns of ["pid", "mnt", "net", "uts", "ipc", "cgroup"]) {
      expect(readlinkSync(`/proc/${bg.pid}/ns/${ns}`)).toBe(readlinkSync(`/proc/${c.pid}/ns/${ns}`));
    }
  });

  test("127 in exec; a terminal exec gets a pty of the container; a gone container is refused", async () => {
    const spec = makeSpec(fx.rootfs(), ["sleep", "30"]);
    const c = await launch(spec, { io: PIPES });
    running.push(c);
    const missing = await execIn(c, { ...spec.process, args: ["nope"] }, { io: PIPES }).catch((e) => e);
    expect(missing).toBeInstanceOf(LaunchError);
    expect(missing.exitCode).toBe(127);
    const nocwd = await execIn(c, { ...spec.process, args: ["true"], cwd: "/nonexistent" }, { io: PIPES }).catch((e) => e);
    expect([nocwd.exitCode, nocwd.message]).toEqual([126, 'unable to start container process: chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory']);
    const t = await execIn(c, { ...spec.process, args: ["tty"], terminal: true }, { io: PIPES });
    running.push(t);
    expect((await t.wait()).exitCode).toBe(0);
    const buf = Buffer.alloc(256);
    const n = readSync(t.ptyMaster!, buf);
    expect(buf.subarray(0, n).toString()).toBe("/dev/pts/0\r\n");
    // the caller's size is on the pty before the program asks for it
    const sized = await execIn(c, { ...spec.process, args: ["sh", "-c", "stty size"], terminal: true, consoleSize: { rows: 41, cols: 97 } }, { io: PIPES });
    running.push(sized);
    expect((await sized.wait()).exitCode).toBe(0);
    const m = readSync(sized.ptyMaster!, buf);
    expect(buf.subarray(0, m).toString()).toBe("41 97\r\n");
    process.kill(c.pid, "SIGKILL");
    await c.wait();
    const gone = await execIn(c, { ...spec.process, args: ["true"] }, { io: PIPES }).catch((e) => e);
    expect(gone).toBeInstanceOf(LaunchError);
  });

  test("exec joins the container's cgroup", async () => {
    const cg = newCgroup();
    cg.create({});
    const spec = makeSpec(fx.rootfs(), ["sleep", "30"]);
    const c = await launch(spec, { io: PIPES, beforeExec: async (pid) => cg.addProcess(pid) });
    running.push(c);
    const e = await execIn(c, { ...spec.process, args: ["sh", "-c", "grep memory /proc/self/cgroup"] }, { io: PIPES, cgroupProcsFile: cg.procsFiles() });
    const [out] = await Promise.all([new Response(e.stdout).text(), e.wait()]);
    expect(out).toMatch(/^\d+:memory:\/\n$/);
  });
});
