/**
 * cp both ways on running and stopped containers: Docker's path rules, tar streams on stdin/stdout,
 * -a ownership, -L, error wording, and the escapes: symlinks in the container pointing at the host
 * (absolute, relative, swapped during the copy) never make cp read or write a host file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestHarness, isRoot, tarFile, tarList, tarNames } from "./commit-harness.ts";

const h = new TestHarness("cp");
let host = "";
const PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

describe("cp", () => {
  beforeAll(async () => {
    await h.setup();
    host = join(h.base, "host");
  });
  afterEach(async () => {
    await h.removeAll();
    rmSync(host, { recursive: true, force: true });
    expect(h.processes()).toEqual([]);
    expect(h.mounts()).toEqual([]);
  });
  afterAll(() => h.teardown());

  function hostTree(): void {
    mkdirSync(join(host, "src/sub"), { recursive: true });
    writeFileSync(join(host, "f.txt"), "file\n");
    writeFileSync(join(host, "src/a"), "a\n");
    writeFileSync(join(host, "src/sub/b"), "b\n");
    chmodSync(join(host, "src/a"), 0o750);
    chownSync(join(host, "src/sub/b"), 1234, 5678);
  }

  const sh = (ctr: string, cmd: string) => h.ok(["exec", ctr, "sh", "-c", cmd]);

  test("host → running container: Docker's path rules and ownership", async () => {
    hostTree();
    await h.changed("rc", "mkdir /existing");
    await h.ok(["cp", join(host, "f.txt"), "rc:/tmp/"]);
    await h.ok(["cp", join(host, "f.txt"), "rc:/tmp/renamed"]);
    await h.ok(["cp", join(host, "src"), "rc:/newdir"]);
    await h.ok(["cp", join(host, "src"), "rc:/existing"]);
    await h.ok(["cp", `${join(host, "src")}/.`, "rc:/tmp"]);
    await h.ok(["cp", "-a", join(host, "src"), "rc:/kept"]);
    expect(await sh("rc", "cat /tmp/f.txt /tmp/renamed /newdir/a /existing/src/sub/b /tmp/a /tmp/sub/b")).toBe("file\nfile\na\nb\na\nb");
    // without -a the container's root owns the files; -a keeps the numbers; modes always kept
    expect(await sh("rc", "stat -c '%u:%g %a' /newdir/sub/b /newdir/a")).toBe("0:0 644\n0:0 750");
    expect(await sh("rc", "stat -c '%u:%g' /kept/sub/b")).toBe("1234:5678");
    // file onto an existing file overwrites it
    writeFileSync(join(host, "f.txt"), "v2\n");
    await h.ok(["cp", join(host, "f.txt"), "rc:/tmp/renamed"]);
    expect(await sh("rc", "cat /tmp/renamed")).toBe("v2");
  }, 60_000);

  test("running container → host: rules, ownership, symlinks kept, -L follows", async () => {
    await h.changed("rc", "mkdir -p /d/sub && echo a > /d/a && echo b > /d/sub/b && chown 42:43 /d/a && ln -s /etc/passwd /lnk");
    mkdirSync(join(host, "into"), { recursive: true });
    await h.ok(["cp", "rc:/d", join(host, "copy")]);
    await h.ok(["cp", "rc:/d", join(host, "into")]);
    await h.ok(["cp", "rc:/d/.", join(host, "into")]);
    await h.ok(["cp", "rc:/d/a", join(host, "a-file")]);
    expect(readFileSync(join(host, "copy/sub/b"), "utf8")).toBe("b\n");
    expect(readFileSync(join(host, "into/d/a"), "utf8")).toBe("a\n");
    expect(readFileSync(join(host, "into/sub/b"), "utf8")).toBe("b\n");
    expect(readFileSync(join(host, "a-file"), "utf8")).toBe("a\n");
    expect(statSync(join(host, "copy/a")).uid).toBe(0);
    await h.ok(["cp", "-a", "rc:/d/a", join(host, "a-kept")]);
    expect(statSync(join(host, "a-kept")).uid).toBe(42);
    await h.ok(["cp", "rc:/lnk", join(host, "lnk")]);
    expect(readlinkSync(join(host, "lnk"))).toBe("/etc/passwd");
    await h.ok(["cp", "-L", "rc:/lnk", join(host, "followed")]);
    expect(readFileSync(join(host, "followed"), "utf8")).toBe(PASSWD);
  }, 60_000);

  test("tar streams: `cp - ctr:dir` and `cp ctr:path -`", async () => {
    hostTree();
    await h.changed("rc", "mkdir /in");
    const tar = Bun.spawnSync(["tar", "--numeric-owner", "-C", join(host, "src"), "-cf", "-", "."]).stdout;
    const put = await h.raw(["cp", "-", "rc:/in"], tar);
    expect(put.code).toBe(0);
    expect(await sh("rc", "cat /in/a /in/sub/b; stat -c '%u:%g' /in/sub/b")).toBe("a\nb\n0:0");
    const putA = await h.raw(["cp", "-a", "-", "rc:/in"], tar);
    expect(putA.code).toBe(0);
    expect(await sh("rc", "stat -c '%u:%g' /in/sub/b")).toBe("1234:5678");
    const get = await h.raw(["cp", "rc:/in", "-"]);
    expect(get.code).toBe(0);
    expect(tarNames(get.stdout)).toEqual(["in/", "in/a", "in/sub/", "in/sub/b"]);
    expect(tarList(get.stdout).find((l) => l.endsWith("in/sub/b"))).toMatch(/^-rw-r--r-- 1234\/5678 /);
    const dot = await h.raw(["cp", "rc:/in/.", "-"]);
    expect(tarNames(dot.stdout)).toEqual(["./", "./a", "./sub/", "./sub/b"]);
    const one = await h.raw(["cp", "rc:/etc/passwd", "-"]);
    expect(tarFile(one.stdout, "passwd")).toBe(PASSWD);
    const bad = await h.raw(["cp", "-", "rc:/nope"], tar);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("Error response from daemon: Could not find the file /nope in container rc");
    const notDir = await h.raw(["cp", "-", "rc:/etc/passwd"], tar);
    expect(notDir.stderr.trim()).toBe('destination "rc:/etc/passwd" must be a directory');
  }, 60_000);

  test("stopped and created containers: copies in and out through a private mount", async () => {
    hostTree();
    await h.ok(["create", "--name", "sc", "busybox", "cat", "/in", "/etc/group"]);
    await h.ok(["cp", join(host, "f.txt"), "sc:/in/"]).catch((e) => expect(String(e)).toContain("no such directory"));
    await h.ok(["cp", join(host, "f.txt"), "sc:/in"]);
    expect(await h.ok(["start", "-a", "sc"])).toContain("file");
    await h.ok(["cp", "sc:/in", join(host, "back")]);
    expect(readFileSync(join(host, "back"), "utf8")).toBe("file\n");
    await h.ok(["run", "--name", "gone", "busybox", "rm", "/etc/group"]);
    const miss = await h.bunker(["cp", "gone:/etc/group", "-"]);
    expect(miss.stderr.trim()).toBe("Error response from daemon: Could not find the file /etc/group in container gone");
    expect(h.mounts()).toEqual([]);
  }, 60_000);

  test("errors read like Docker's", async () => {
    hostTree();
    await h.changed("rc", "true");
    const cases: Array<[string[], string]> = [
      [["cp", "rc:/nope", host], "Error response from daemon: Could not find the file /nope in container rc"],
      [["cp", "-L", "rc:/nope", host], "Error: No such container:path: rc:/nope"],
      [["cp", "nope:/x", host], "Error response from daemon: No such container: nope"],
      [["cp", join(host, "f.txt"), "rc:/nope/x"], "Error response from daemon: Could not find the file /nope in container rc"],
      [["cp", join(host, "f.txt"), "rc:/newdir/"], "no such directory"],
      [["cp", join(host, "src"), "rc:/etc/passwd"], "cannot copy directory"],
      [["cp", join(host, "missing"), "rc:/tmp"], `lstat ${join(host, "missing")}: no such file or directory`],
      [["cp", "rc:/etc/passwd", join(host, "nodir/x")], `invalid output path: directory "${join(host, "nodir")}" does not exist`],
      [["cp", "rc:/etc", "rc:/tmp"], "copying between containers is not supported"],
      [["cp", host, join(host, "xc")], "must specify at least one container source"],
    ];
    for (const [args, msg] of cases) {
      const r = await h.bunker(args);
      expect({ args, code: r.code, err: r.stderr.trim() }).toEqual({ args, code: 1, err: msg });
    }
  }, 60_000);

  for (const state of ["running", "stopped"] as const) {
    test(`symlinks to the host never escape the container (${state})`, async () => {
      const secret = `/tmp/bunker-test-secret-${process.pid}`;
      const planted = `/tmp/bunker-test-planted-${process.pid}`;
      writeFileSync(secret, "HOST SECRET\n");
      try {
        hostTree();
        await h.changed("xc", "ln -s / /escape && ln -s ../../../../../../../etc /rel && ln -s ../../../../../../.. /up && mkdir /box && ln -s /etc /box/etc");
        if (state === "stopped") await h.ok(["stop", "-t", "0", "xc"]);
        // reads resolve inside the container's root: its passwd, never the host's
        for (const p of ["/escape/etc/passwd", "/rel/passwd", "/up/etc/passwd", "/box/etc/passwd"]) {
          const r = await h.raw(["cp", `xc:${p}`, "-"]);
          expect({ p, code: r.code, err: r.stderr }).toEqual({ p, code: 0, err: "" });
          expect(tarFile(r.stdout, "passwd")).toBe(PASSWD);
        }
        const s = await h.raw(["cp", `xc:/escape${secret}`, "-"]);
        expect(s.code).toBe(1);
        expect(new TextDecoder().decode(s.stdout)).not.toContain("HOST SECRET");
        // writes land inside too
        await h.ok(["cp", join(host, "f.txt"), `xc:/escape${planted}`]);
        await h.ok(["cp", join(host, "f.txt"), "xc:/rel/bunker-test-planted"]);
        await h.ok(["cp", join(host, "src"), "xc:/up/tmp/"]);
        expect(existsSync(planted)).toBe(false);
        expect(existsSync("/etc/bunker-test-planted")).toBe(false);
        expect(existsSync("/tmp/src")).toBe(false);
        if (state === "stopped") await h.ok(["start", "xc"]);
        expect(await sh("xc", `cat ${planted} /etc/bunker-test-planted /tmp/src/a`)).toBe("file\nfile\na");
        // a tar whose members climb out or go through the container's symlinks stays inside as well
        const evil = Bun.spawnSync(["sh", "-c", `cd ${host} && ln -s / evil && tar -cf - evil f.txt --transform 's,^f.txt,evil/tmp/bunker-test-evil,'`]).stdout;
        const r = await h.raw(["cp", "-", "xc:/box"], evil);
        expect(r.code).toBe(0);
        expect(existsSync("/tmp/bunker-test-evil")).toBe(false);
        expect(lstatSync(secret).size).toBe(12);
      } finally {
        rmSync(secret, { force: true });
        rmSync(planted, { force: true });
        rmSync("/etc/bunker-test-planted", { force: true });
        rmSync("/tmp/bunker-test-evil", { force: true });
      }
    }, 60_000);
  }

  test("a path swapped for a symlink while cp runs never reaches the host", async () => {
    const secret = `/tmp/bunker-test-race-${process.pid}`;
    writeFileSync(secret, "HOST SECRET\n");
    try {
      await h.changed("race", `mkdir -p /s/tmp && echo inside > /s/tmp/bunker-test-race-${process.pid}; { while true; do mv /s /s.d; ln -s / /s; rm /s; mv /s.d /s; done & }`);
      for (let i = 0; i < 15; i++) {
        const r = await h.raw(["cp", `race:/s${secret}`, "-"]);
        expect(new TextDecoder().decode(r.stdout)).not.toContain("HOST SECRET");
      }
    } finally {
      rmSync(secret, { force: true });
    }
  }, 60_000);
});
