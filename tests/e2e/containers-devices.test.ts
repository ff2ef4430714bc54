/**
 * `run/create --device` and `--device-cgroup-rule` end to end on the busybox image: the node inside (type,
 * numbers, mode, owner, path), the cgroup allow-list on v1 (devices.allow) and on v2 (the BPF program),
 * inspect's fields, and Docker's errors. /dev/kmsg (c 1:11) is the device outside the default list: it
 * exists on every host and opening it reads or writes nothing. Opening it for reading also asks for
 * CAP_SYSLOG where kernel.dmesg_restrict is 1, so the containers that open it get that capability: a
 * refusal is then the cgroup's alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Harness, isRoot, until } from "./containers-harness.ts";

const h = new Harness();

/**
 * opens the node for reading, then for writing, and says how each went (no byte is read or written);
 * subshells, because a failed redirection of `exec` ends a non-interactive shell
 */
const OPEN_BOTH = (path: string) => `(exec 3<${path}) && echo read-ok; (exec 4>${path}) && echo write-ok; true`;

describe("containers: --device, --device-cgroup-rule", () => {
  h.useInSuite();

  test("--device HOST:CONTAINER makes the host's node at the container path (parents made), usable", async () => {
    const st = lstatSync("/dev/null");
    const r = await h.bunker([
      "run", "--rm", "--device", "/dev/null:/dev/mynull", "--device", "/dev/null:/dev/deep/er/null", "busybox", "sh", "-c",
      "stat -c '%F %t:%T %a %u:%g' /dev/mynull /dev/deep/er/null; echo hi > /dev/mynull && echo wrote",
    ]);
    expect(r.stderr).toBe("");
    const want = `character special file 1:3 ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    expect(r.stdout).toBe(`${want}\n${want}\nwrote\n`);
    expect(r.code).toBe(0);
  });

  test("a node of the host's own: mode and owner copied; a directory gives every device below it", async () => {
    const dir = mkdtempSync("/tmp/bunker-devices-");
    try {
      const mk = (args: string[]) => expect(Bun.spawnSync(["mknod", ...args]).exitCode).toBe(0);
      mk(["-m", "0640", join(dir, "kmsg"), "c", "1", "11"]);
      mk(["-m", "0600", join(dir, "blk"), "b", "7", "200"]);
      writeFileSync(join(dir, "not-a-device"), "");
      expect(Bun.spawnSync(["chown", "1234:5678", join(dir, "kmsg")]).exitCode).toBe(0);
      const r = await h.bunker([
        "run", "--rm", "--device", `${join(dir, "kmsg")}:/dev/mykmsg`, "--device", `${dir}:/dev/set`, "busybox", "sh", "-c",
        "stat -c '%n %F %t:%T %a %u:%g' /dev/mykmsg /dev/set/*",
      ]);
      expect(r.stderr).toBe("");
      expect(r.stdout.trim().split("\n")).toEqual([
        "/dev/mykmsg character special file 1:b 640 1234:5678",
        // the regular file is skipped, as Docker's walk skips what is no device
        "/dev/set/blk block special file 7:c8 600 0:0",
        "/dev/set/kmsg character special file 1:b 640 1234:5678",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a device outside the default list: refused without --device; with :r reading is allowed, writing refused", async () => {
    // CAP_MKNOD is a default capability and the default list allows mknod ("c *:* m"): only access is refused
    const none = await h.bunker(["run", "--rm", "--cap-add", "SYSLOG", "busybox", "sh", "-c", `mknod /dev/k c 1 11 && ${OPEN_BOTH("/dev/k")}`]);
    expect(none.stdout).toBe("");
    expect(none.stderr).toBe("sh: can't open /dev/k: Operation not permitted\nsh: can't create /dev/k: Operation not permitted\n");

    const r = await h.bunker(["run", "--rm", "--cap-add", "SYSLOG", "--device", "/dev/kmsg:/dev/kmsg:r", "busybox", "sh", "-c", OPEN_BOTH("/dev/kmsg")]);
    expect(r.stdout).toBe("read-ok\n");
    expect(r.stderr).toBe("sh: can't create /dev/kmsg: Operation not permitted\n");

    const rw = await h.bunker(["run", "--rm", "--cap-add", "SYSLOG", "--device", "/dev/kmsg:rw", "busybox", "sh", "-c", OPEN_BOTH("/dev/kmsg")]);
    expect(rw.stdout).toBe("read-ok\nwrite-ok\n");
    expect(rw.stderr).toBe("");
  });

  test("--device-cgroup-rule allows a node made inside the container", async () => {
    const r = await h.bunker([
      "run", "--rm", "--cap-add", "SYSLOG", "--device-cgroup-rule", "c 1:11 r", "busybox", "sh", "-c", `mknod /dev/k c 1 11 && ${OPEN_BOTH("/dev/k")}`,
    ]);
    expect(r.stdout).toBe("read-ok\n");
    expect(r.stderr).toBe("sh: can't create /dev/k: Operation not permitted\n");
    const star = await h.bunker(["run", "--rm", "--cap-add", "SYSLOG", "--device-cgroup-rule", "c 1:* rw", "busybox", "sh", "-c", `mknod /dev/k c 1 11 && ${OPEN_BOTH("/dev/k")}`]);
    expect(star.stdout).toBe("read-ok\nwrite-ok\n");
  });

  test("--privileged: the node is made, its permissions are ignored (the cgroup allows every device)", async () => {
    const r = await h.bunker(["run", "--rm", "--privileged", "--device", "/dev/kmsg:/dev/k:r", "busybox", "sh", "-c", `stat -c '%t:%T' /dev/k; ${OPEN_BOTH("/dev/k")}`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1:b\nread-ok\nwrite-ok\n");
  });

  test("--device at a default's path takes the default's place", async () => {
    const r = await h.bunker(["run", "--rm", "--device", "/dev/zero:/dev/null", "--device", "/dev/null", "busybox", "sh", "-c", "stat -c '%n %t:%T' /dev/null /dev/zero"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("/dev/null 1:5\n/dev/zero 1:5\n");
  });

  test("inspect: HostConfig.Devices and DeviceCgroupRules as typed; [] and null when unset", async () => {
    await h.ok([
      "create", "--name", "devs", "--device", "/dev/null", "--device", "/dev/null:rw", "--device", "/dev/kmsg:/dev/k:r",
      "--device-cgroup-rule", "c 42:* rmw", "--device-cgroup-rule", "b 8:0 r", "busybox",
    ]);
    const hc = JSON.parse(await h.ok(["inspect", "-f", "{{json .HostConfig}}", "devs"]));
    expect(hc.Devices).toEqual([
      { PathOnHost: "/dev/null", PathInContainer: "/dev/null", CgroupPermissions: "rwm" },
      { PathOnHost: "/dev/null", PathInContainer: "/dev/null", CgroupPermissions: "rw" },
      { PathOnHost: "/dev/kmsg", PathInContainer: "/dev/k", CgroupPermissions: "r" },
    ]);
    expect(hc.DeviceCgroupRules).toEqual(["c 42:* rmw", "b 8:0 r"]);
    await h.ok(["create", "--name", "plain", "busybox"]);
    expect(await h.ok(["inspect", "-f", "{{json .HostConfig.Devices}} {{json .HostConfig.DeviceCgroupRules}}", "plain"])).toBe("[] null");
  });

  test("a missing host device: create succeeds, the start fails with the daemon's words (run: 125)", async () => {
    const r = await h.bunker(["run", "--name", "nosuch", "--device", "/dev/nosuch", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe('Error response from daemon: error gathering device information while adding custom device "/dev/nosuch": no such file or directory\n');
    // the daemon keeps the container, created, with the error on record
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", "nosuch"])).toBe(
      'created 128 error gathering device information while adding custom device "/dev/nosuch": no such file or directory',
    );
    const start = await h.bunker(["start", "nosuch"]);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('error gathering device information while adding custom device "/dev/nosuch": no such file or directory');
    const file = await h.bunker(["run", "--rm", "--device", "/etc/hostname:/dev/x", "busybox", "true"]);
    expect(file.code).toBe(125);
    expect(file.stderr).toBe('Error response from daemon: error gathering device information while adding custom device "/etc/hostname": not a device node\n');
  });

  test("bad flag values fail before anything is made: the CLI's words, 125", async () => {
    for (const cmd of ["run", "create"]) {
      const perms = await h.bunker([cmd, "--device", "/dev/null:/dev/x:rwx", "busybox", "true"]);
      expect(perms.code).toBe(125);
      expect(perms.stderr).toBe('invalid argument "/dev/null:/dev/x:rwx" for "--device" flag: bad mode specified: rwx\n');
      const rule = await h.bunker([cmd, "--device-cgroup-rule", "c 1:11", "busybox", "true"]);
      expect(rule.code).toBe(125);
      expect(rule.stderr).toBe(`invalid argument "c 1:11" for "--device-cgroup-rule" flag: invalid device cgroup format 'c 1:11'\n`);
    }
    expect(await h.ok(["ps", "-aq"])).toBe("");
  });
});

// the v2 path: the same rules compiled into the cgroup's BPF device program
const pureV2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
const V2_ROOT = pureV2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
const hasV2 = existsSync(join(V2_ROOT, "cgroup.procs"));

class V2Harness extends Harness {
  override readonly cgParent = `bunker-v2dev-${Math.random().toString(36).slice(2, 10)}`;
  override env(): Record<string, string> {
    return { ...super.env(), BUNKER_CGROUP_ROOT: V2_ROOT };
  }
  get parentDir(): string {
    return join(V2_ROOT, this.cgParent);
  }
  override cgroupDirs(): string[] {
    try {
      return readdirSync(this.parentDir).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch {
      return [];
    }
  }
}

const v2 = new V2Harness();

describe.skipIf(!isRoot || !hasV2)("containers: --device on cgroup v2 (BUNKER_CGROUP_ROOT at a cgroup2 mount)", () => {
  beforeAll(() => v2.setup());
  afterEach(async () => {
    await v2.removeAll();
    expect(v2.processes()).toEqual([]);
    expect(v2.cgroupDirs()).toEqual([]);
  });
  afterAll(async () => {
    try {
      await v2.teardown();
    } finally {
      const gone = await until(() => {
        for (const c of v2.cgroupDirs()) try { rmdirSync(join(v2.parentDir, c)); } catch {}
        try {
          rmdirSync(v2.parentDir);
        } catch {}
        return !existsSync(v2.parentDir);
      }, 5000);
      expect(gone).toBe(true);
    }
  });

  test("the BPF program refuses kmsg by default and carries --device and --device-cgroup-rule", async () => {
    const none = await v2.bunker(["run", "--rm", "--cap-add", "SYSLOG", "busybox", "sh", "-c", `mknod /dev/k c 1 11 && ${OPEN_BOTH("/dev/k")}`]);
    expect(none.stdout).toBe("");
    expect(none.stderr).toBe("sh: can't open /dev/k: Operation not permitted\nsh: can't create /dev/k: Operation not permitted\n");
    const dev = await v2.bunker(["run", "--rm", "--cap-add", "SYSLOG", "--device", "/dev/kmsg:/dev/kmsg:r", "busybox", "sh", "-c", OPEN_BOTH("/dev/kmsg")]);
    expect(dev.stdout).toBe("read-ok\n");
    expect(dev.stderr).toBe("sh: can't create /dev/kmsg: Operation not permitted\n");
    const rule = await v2.bunker(["run", "--rm", "--cap-add", "SYSLOG", "--device-cgroup-rule", "c 1:11 w", "busybox", "sh", "-c", `mknod /dev/k c 1 11 && ${OPEN_BOTH("/dev/k")}`]);
    expect(rule.stdout).toBe("write-ok\n");
    expect(rule.stderr).toBe("sh: can't open /dev/k: Operation not permitted\n");
  });
});
