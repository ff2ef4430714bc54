/**
 * The supervisor pieces that must survive its re-execs into the idle mode and back (no root needed):
 * the restart back-off carried over, the restart loop resuming with a run started by an earlier
 * process image, the log format shared by the full and the idle writer, and the check that PID 1 is
 * still ours to reap before the hand-off.
 */
import { describe, expect, test } from "bun:test";
import { RestartManager } from "../../src/runtime/supervisor/backoff.ts";
import { superviseLoop, type RunExit, type SupervisorHooks } from "../../src/runtime/supervisor/loop.ts";
import { entryLine, LogLines, type Stream } from "../../src/engine/containers/log-format.ts";
import { isUnreapedChild } from "../../src/sys/extra.ts";

describe("restart manager across a re-exec", () => {
  test("a manager built with the carried back-off goes on doubling from it", () => {
    const before = new RestartManager({ name: "always", maxRetries: 0 });
    before.next(1, false, 5);
    before.next(1, false, 5);
    expect(before.timeout).toBe(200);
    const after = new RestartManager({ name: "always", maxRetries: 0 }, before.restartCount, before.timeout);
    expect(after.next(1, false, 5)).toBe(400);
    expect(after.restartCount).toBe(3);
  });
});

describe("restart loop resumed with a run in progress", () => {
  function hooks(starts: RunExit[], log: string[]): SupervisorHooks {
    return {
      policy: { name: "on-failure", maxRetries: 2 },
      restartCount: 1,
      async start() {
        const exit = starts.shift()!;
        log.push("start");
        return { pid: 42, exited: Promise.resolve(exit) };
      },
      manuallyStopped: () => false,
      recordExit(exit, restarting, count) {
        log.push(`exit ${exit.exitCode} ${restarting ? "restarting" : "final"} ${count}`);
      },
      onStartError: () => log.push("start error"),
      onStarted: (_pid, first) => log.push(`started first=${first}`),
    };
  }

  test("records the resumed run's exit first, restarts per policy, never reports a first start", async () => {
    const log: string[] = [];
    await superviseLoop(hooks([{ exitCode: 3, ranMs: 5 }], log), { exited: Promise.resolve({ exitCode: 3, ranMs: 5 }), backoffMs: 0 });
    expect(log).toEqual(["exit 3 restarting 2", "start", "started first=false", "exit 3 final 2"]);
  });

  test("a fresh loop still reports its first start", async () => {
    const log: string[] = [];
    await superviseLoop(hooks([{ exitCode: 0, ranMs: 5 }], log));
    expect(log).toEqual(["start", "started first=true", "exit 0 final 1"]);
  });
});

describe("shared json-file log format", () => {
  test("lines split per stream, partial lines held until flush, 16 KiB cut, Docker's entry shape", () => {
    const out: [Stream, string][] = [];
    const lines = new LogLines((s, l) => out.push([s, l]));
    lines.write("stdout", new TextEncoder().encode("a\nb"));
    lines.write("stderr", "e\n");
    // a UTF-8 character split across two chunks is decoded whole
    const euro = new TextEncoder().encode("€\n");
    lines.write("stdout", euro.subarray(0, 1));
    lines.write("stdout", euro.subarray(1));
    lines.write("stdout", "x".repeat(16 * 1024 + 3));
    lines.flush();
    expect(out).toEqual([
      ["stdout", "a\n"],
      ["stderr", "e\n"],
      ["stdout", "b€\n"],
      ["stdout", "x".repeat(16 * 1024)],
      ["stdout", "xxx"],
    ]);
    const entry = JSON.parse(entryLine("stderr", "hi\n"));
    expect(Object.keys(entry)).toEqual(["log", "stream", "time"]);
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });
});

describe("hand-off check", () => {
  test("a running child is unreaped; once Bun has reaped it, it is not; a stranger never is", async () => {
    const child = Bun.spawn(["sleep", "0.2"], { stdio: ["ignore", "ignore", "ignore"] });
    expect(isUnreapedChild(child.pid)).toBe(true);
    await child.exited;
    expect(isUnreapedChild(child.pid)).toBe(false);
    expect(isUnreapedChild(1)).toBe(false);
  });
});
