/**
 * Container engine pieces that need no root: restart back-off, json-file logs with rotation, user
 * resolution from passwd/group text, flag value parsing, status projection and ps wording, the
 * RuntimeSpec built from a record.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RestartManager } from "../../src/runtime/supervisor/backoff.ts";
import { follow, JsonLogWriter, LineStarts, logFiles, parseByteSize, readAll, tailLines, type LogEntry } from "../../src/engine/containers/logs.ts";
import { QUIET_FLUSH_MS } from "../../src/engine/containers/log-format.ts";
import { resolveUser, type FileReader } from "../../src/engine/containers/user.ts";
import { collectEnv, mergeEnv, parseCpus, parseMemory, parseRestart } from "../../src/engine/containers/options.ts";
import { project } from "../../src/engine/containers/status.ts";
import { emptyState, can, type ContainerRecord } from "../../src/engine/containers/types.ts";
import { commandText, statusText } from "../../src/cli/commands/_containers.ts";
import { containerEnv } from "../../src/engine/containers/spec-builder.ts";

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

describe("restart manager (Docker's back-off)", () => {
  test("on-failure:2 restarts twice with doubling delays, never after success", () => {
    const rm = new RestartManager({ name: "on-failure", maxRetries: 2 });
    expect(rm.next(1, false, 5)).toBe(100);
    expect(rm.next(1, false, 5)).toBe(200);
    expect(rm.next(1, false, 5)).toBeNull();
    expect(rm.restartCount).toBe(2);
    expect(new RestartManager({ name: "on-failure", maxRetries: 0 }).next(0, false, 5)).toBeNull();
  });
  test("always: back-off resets after 10 s of running; a manual stop cancels", () => {
    const rm = new RestartManager({ name: "always", maxRetries: 0 });
    expect(rm.next(0, false, 1)).toBe(100);
    expect(rm.next(0, false, 1)).toBe(200);
    expect(rm.next(0, false, 1)).toBe(400);
    expect(rm.next(0, false, 10_000)).toBe(100);
    expect(rm.next(0, true, 1)).toBeNull();
    for (let i = 0; i < 20; i++) rm.next(1, false, 1);
    expect(rm.next(1, false, 1)).toBe(60_000);
  });
  test("unless-stopped and no", () => {
    expect(new RestartManager({ name: "unless-stopped", maxRetries: 0 }).next(0, false, 1)).toBe(100);
    expect(new RestartManager({ name: "no", maxRetries: 0 }).next(1, false, 1)).toBeNull();
  });
});

describe("json-file log", () => {
  test("lines are split, partial lines kept until newline or flush, streams labelled", () => {
    const dir = mkdtempSync("/tmp/bunker-unit-");
    temps.push(dir);
    const w = new JsonLogWriter(join(dir, "c.log"));
    w.write("stdout", new TextEncoder().encode("a\nb"));
    w.write("stderr", "err\n");
    w.write("stdout", "c\n");
    w.write("stdout", "tail");
    w.close();
    const entries = readAll(join(dir, "c.log"));
    expect(entries.map((e) => [e.stream, e.log])).toEqual([["stdout", "a\n"], ["stderr", "err\n"], ["stdout", "bc\n"], ["stdout", "tail"]]);
    expect(entries[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/);
  });
  test("rotation keeps at most max-file files of about max-size bytes", () => {
    const dir = mkdtempSync("/tmp/bunker-unit-");
    temps.push(dir);
    const path = join(dir, "c.log");
    const w = new JsonLogWriter(path, 1000, 3);
    for (let i = 0; i < 200; i++) w.write("stdout", `line ${i}\n`);
    w.close();
    expect(readdirSync(dir).sort()).toEqual(["c.log", "c.log.1", "c.log.2"]);
    const all = readAll(path).map((e) => e.log);
    expect(all[all.length - 1]).toBe("line 199\n");
    expect(logFiles(path).length).toBe(3);
  });
  test("a line left open is written once output is quiet; logs read the same bytes", async () => {
    const dir = mkdtempSync("/tmp/bunker-unit-");
    temps.push(dir);
    const path = join(dir, "c.log");
    const w = new JsonLogWriter(path);
    w.write("stdout", "/ # ");
    expect(readAll(path)).toEqual([]);
    await Bun.sleep(QUIET_FLUSH_MS * 4);
    expect(readAll(path).map((e) => e.log)).toEqual(["/ # "]);
    w.write("stdout", "echo hi\r\nhi\r\n/ # ");
    w.close();
    const entries = readAll(path);
    expect(entries.map((e) => e.log)).toEqual(["/ # ", "echo hi\r\n", "hi\r\n", "/ # "]);
    expect(entries.map((e) => e.log).join("")).toBe("/ # echo hi\r\nhi\r\n/ # ");
    // nothing left for the timer after close(): no entry written twice
    await Bun.sleep(QUIET_FLUSH_MS * 3);
    expect(readAll(path).length).toBe(4);
  });
  test("pieces of a line are one line for -t, --details and --tail; a 16 KiB cut stays its own, as Docker's", () => {
    const e = (log: string, stream: "stdout" | "stderr" = "stdout"): LogEntry => ({ log, stream, time: "2024-01-01T00:00:00Z" });
    const entries = [e("/ # "), e("err\n", "stderr"), e("echo hi\r\n"), e("hi\r\n"), e("x".repeat(16 * 1024)), e("y\n"), e("/ # ")];
    const starts = new LineStarts();
    expect(entries.map((x) => starts.next(x))).toEqual([true, true, false, true, true, true, true]);
    expect(tailLines(entries, 1).map((x) => x.log)).toEqual(["/ # "]);
    expect(tailLines(entries, 3).length).toBe(3);
    expect(tailLines(entries, 5).map((x) => x.log)).toEqual(["err\n", "echo hi\r\n", "hi\r\n", "x".repeat(16 * 1024), "y\n", "/ # "]);
    expect(tailLines(entries, 6)).toEqual(entries);
    expect(tailLines(entries, 0)).toEqual([]);
  });
  test("a follower is woken by the write (inotify), not by its poll", async () => {
    const dir = mkdtempSync("/tmp/bunker-unit-");
    temps.push(dir);
    const path = join(dir, "c-json.log");
    writeFileSync(path, "");
    let going = true;
    const it = follow(path, 0, () => going);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const next = it.next();
      await Bun.sleep(30 + i * 7);
      const at = performance.now();
      appendFileSync(path, `${JSON.stringify({ log: `${i}\n`, stream: "stdout", time: "2024-01-01T00:00:00Z" })}\n`);
      expect((await next).value?.log).toBe(`${i}\n`);
      waits.push(performance.now() - at);
    }
    going = false;
    expect((await it.next()).done).toBe(true);
    // the poll alone would take up to 100 ms
    expect(waits.sort((a, b) => a - b)[2]).toBeLessThan(50);
  });
  test("a follower gets every entry once across rotations, the rest of the rotated file first", async () => {
    const dir = mkdtempSync("/tmp/bunker-unit-");
    temps.push(dir);
    const path = join(dir, "c-json.log");
    const w = new JsonLogWriter(path, 1000, 2);
    let done = false;
    const got: string[] = [];
    const reading = (async () => {
      for await (const e of follow(path, 0, () => !done)) got.push(e.log);
    })();
    for (let i = 0; i < 300; i++) {
      w.write("stdout", `line ${i}\n`);
      // the follower reads between the writer's steps, a rotation's among them
      if (i % 7 === 0) await Bun.sleep(1);
    }
    w.close();
    done = true;
    await reading;
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i}\n`));
  });
  test("size units", () => {
    expect(parseByteSize("10m")).toBe(10 * 1024 * 1024);
    expect(parseByteSize("500k")).toBe(512000);
    expect(() => parseByteSize("ten")).toThrow();
  });
});

describe("user resolution (image files, never the host's)", () => {
  const files: Record<string, string> = {
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:u:/home/user:/bin/sh\n",
    "/etc/group": "root:x:0:\nwheel:x:10:root\nuser:x:1000:\nstaff:x:50:user\n",
  };
  const read: FileReader = (p) => files[p] ?? null;
  test("names, numbers, groups", () => {
    expect(resolveUser("", [], read)).toEqual({ uid: 0, gid: 0, additionalGids: [10], home: "/root" });
    expect(resolveUser("user", [], read)).toEqual({ uid: 1000, gid: 1000, additionalGids: [50], home: "/home/user" });
    expect(resolveUser("user:staff", [], read)).toMatchObject({ uid: 1000, gid: 50, additionalGids: [] });
    expect(resolveUser("4242", [], read)).toMatchObject({ uid: 4242, gid: 0, home: "/" });
    expect(resolveUser("1000:7", ["wheel", "99"], read)).toMatchObject({ gid: 7, additionalGids: [10, 99] });
  });
  test("Docker's errors for unknown names", () => {
    expect(() => resolveUser("nope", [], read)).toThrow("unable to find user nope: no matching entries in passwd file");
    expect(() => resolveUser("user:nogrp", [], read)).toThrow("unable to find group nogrp: no matching entries in group file");
    expect(() => resolveUser("0", [], () => null)).not.toThrow();
  });
});

describe("flag values", () => {
  test("memory, cpus, restart", () => {
    expect(parseMemory("64m", "--memory")).toBe(64 * 1024 * 1024);
    expect(parseMemory("1g", "--memory")).toBe(1024 ** 3);
    expect(parseMemory("-1", "--memory-swap")).toBe(-1);
    expect(() => parseMemory("lots", "--memory")).toThrow('invalid argument "lots" for "-m, --memory" flag');
    expect(parseCpus("1.5")).toBe(1.5e9);
    expect(parseRestart("on-failure:3")).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
    expect(parseRestart(undefined)).toEqual({ Name: "no", MaximumRetryCount: 0 });
    expect(() => parseRestart("sometimes")).toThrow();
    expect(() => parseRestart("always:2")).toThrow();
  });
  test("env: -e KEY takes the caller's value, later wins by key", () => {
    process.env.BUNKER_UNIT_X = "from-host";
    expect(collectEnv([], ["A=1", "BUNKER_UNIT_X", "BUNKER_UNIT_UNSET"])).toEqual(["A=1", "BUNKER_UNIT_X=from-host"]);
    expect(mergeEnv(["PATH=/bin", "A=1"], ["A=2", "B=3"])).toEqual(["PATH=/bin", "A=2", "B=3"]);
  });
});

function record(over: Partial<ContainerRecord["Config"]> = {}): ContainerRecord {
  return {
    Id: "a".repeat(64), Created: new Date().toISOString(), Path: "sh", Args: ["-c", "echo hello world, this is long"], Image: "sha256:x",
    ResolvConfPath: "", HostnamePath: "", HostsPath: "", LogPath: "", Name: "/n", Driver: "overlay2", Platform: "linux",
    MountLabel: "", ProcessLabel: "", AppArmorProfile: "", HostConfig: {} as ContainerRecord["HostConfig"], GraphDriver: { Name: "overlay2", Data: {} },
    Mounts: [],
    Config: { Hostname: "aaaaaaaaaaaa", Domainname: "", User: "", AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false, Env: ["A=1"], Cmd: null, Image: "busybox", Volumes: null, WorkingDir: "", Entrypoint: null, OnBuild: null, Labels: {}, ...over },
    Bunker: { Lower: [], Uid: 0, Gid: 0, Gids: [], SeccompUnconfined: false, NoNewPrivileges: false, LogMaxSize: 1, LogMaxFiles: 1 },
  };
}

describe("status and ps wording", () => {
  test("a running record whose processes are gone reads as exited (255)", () => {
    const v = project("a".repeat(64), record(), { ...emptyState(), Status: "running" }, { Pid: 999_999_999, PidStart: 1, SupervisorPid: 999_999_998, SupervisorStart: 1 });
    expect(v.status).toBe("exited");
    expect(v.stale).toBe(true);
    expect(v.state.ExitCode).toBe(255);
    const none = project("a".repeat(64), record(), { ...emptyState(), Status: "running" }, null);
    expect(none.status).toBe("exited");
  });
  test("guards", () => {
    expect(can.start("exited")).toBe(true);
    expect(can.start("running")).toBe(false);
    expect(can.remove("running")).toBe(false);
    expect(can.pause("paused")).toBe(false);
    expect(can.unpause("paused")).toBe(true);
  });
  test("STATUS and COMMAND columns", () => {
    const now = Date.now();
    const v = project("a".repeat(64), record(), { ...emptyState(), Status: "exited", ExitCode: 3, FinishedAt: new Date(now - 3000).toISOString() }, null);
    expect(statusText(v, now)).toBe("Exited (3) 3 seconds ago");
    expect(commandText(v, true)).toBe(`"sh -c 'echo hello w…"`); // the daemon quotes an argument holding a space
    expect(commandText(v, false)).toBe(`"sh -c 'echo hello world, this is long'"`);
    expect(statusText(project("a".repeat(64), record(), emptyState(), null))).toBe("Created");
  });
  test("container env gets PATH, HOSTNAME, HOME, and TERM with a tty", () => {
    const env = containerEnv(record({ Tty: true }));
    expect(env).toContain("HOSTNAME=aaaaaaaaaaaa");
    expect(env).toContain("TERM=xterm");
    expect(env).toContain("HOME=/root");
    expect(env[0]).toStartWith("PATH=");
  });
});
