/**
 * The supervisor pieces that must survive its re-execs into the idle mode and back (no root needed):
 * the restart back-off carried over, the restart loop resuming with a run started by an earlier
 * process image, the log format shared by the full and the idle writer, and the check that PID 1 is
 * still ours to reap before the hand-off.
 */
import { describe, expect, test } from "bun:test";
import { RestartManager } from "../../src/runtime/supervisor/backoff.ts";
import { superviseLoop, type RunExit, type SupervisorHooks } from "../../src/runtime/supervisor/loop.ts";
import { endsCharacter, entryLine, fixedNano, LogLines, nowNs, QUIET_FLUSH_MS, rfc3339Nano, timeNs, type Stream } from "../../src/engine/containers/log-format.ts";
import { parseTime } from "../../src/cli/commands/logs.ts";
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
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/);
  });
});

describe("a line left open is written once output is quiet (what attach shows of a prompt)", () => {
  test("a prompt becomes an entry of its own after the quiet period, and the line goes on after it", async () => {
    const out: [Stream, string][] = [];
    const lines = new LogLines((s, l) => out.push([s, l]), {}, QUIET_FLUSH_MS);
    lines.write("stdout", "banner\n/ # ");
    expect(out).toEqual([["stdout", "banner\n"]]);
    await Bun.sleep(QUIET_FLUSH_MS * 4);
    expect(out).toEqual([["stdout", "banner\n"], ["stdout", "/ # "]]);
    lines.write("stdout", "ls\n");
    // a flush with nothing open adds nothing: every byte is in exactly one entry
    lines.flush();
    await Bun.sleep(QUIET_FLUSH_MS * 2);
    expect(out.map(([, l]) => l).join("")).toBe("banner\n/ # ls\n");
    expect(out.length).toBe(3);
  });

  test("a line written in pieces closer together than the quiet period stays one entry", async () => {
    const out: [Stream, string][] = [];
    const lines = new LogLines((s, l) => out.push([s, l]), {}, QUIET_FLUSH_MS);
    for (const piece of ["a", "b", "c", "d"]) {
      lines.write("stderr", piece);
      await Bun.sleep(QUIET_FLUSH_MS / 4);
    }
    lines.write("stderr", "\n");
    await Bun.sleep(QUIET_FLUSH_MS * 2);
    expect(out).toEqual([["stderr", "abcd\n"]]);
  });

  test("a character cut between two chunks is not cut by the flush", async () => {
    const out: string[] = [];
    const lines = new LogLines((_s, l) => out.push(l), {}, QUIET_FLUSH_MS);
    const euro = new TextEncoder().encode("x€");
    lines.write("stdout", euro.subarray(0, 2));
    await Bun.sleep(QUIET_FLUSH_MS * 3);
    lines.write("stdout", euro.subarray(2));
    await Bun.sleep(QUIET_FLUSH_MS * 3);
    expect(out).toEqual(["x", "€"]);
  });

  test("a line handed on by a refresh is written by the next image once quiet", async () => {
    const out: string[] = [];
    new LogLines((_s, l) => out.push(l), { stdout: "/ # " }, QUIET_FLUSH_MS);
    await Bun.sleep(QUIET_FLUSH_MS * 3);
    expect(out).toEqual(["/ # "]);
  });
});

describe("partial lines across a refresh of the idle mode", () => {
  test("a line left open is handed to the next image and ended there, as one entry", () => {
    const out: Array<[Stream, string]> = [];
    const before = new LogLines((s, l) => out.push([s, l]));
    before.write("stdout", "done\n/ # ");
    before.write("stderr", "half");
    const carried = JSON.parse(JSON.stringify(before.pending));
    expect(carried).toEqual({ stdout: "/ # ", stderr: "half" });
    const after = new LogLines((s, l) => out.push([s, l]), carried);
    after.write("stdout", "ls\n");
    after.write("stderr", "-rest\n");
    expect(out).toEqual([
      ["stdout", "done\n"],
      ["stdout", "/ # ls\n"],
      ["stderr", "half-rest\n"],
    ]);
    expect(after.pending).toEqual({});
  });

  test("a chunk cut inside a character is seen (its bytes sit in the decoder, which is not handed on)", () => {
    const euro = new TextEncoder().encode("a€"); // 61 e2 82 ac
    expect(endsCharacter(euro)).toBe(true);
    expect(endsCharacter(euro.subarray(0, 3))).toBe(false);
    expect(endsCharacter(euro.subarray(0, 2))).toBe(false);
    expect(endsCharacter(new TextEncoder().encode("x\n"))).toBe(true);
    expect(endsCharacter(new TextEncoder().encode("😀").subarray(0, 3))).toBe(false);
    // stray continuation bytes are decoded already (as U+FFFD): nothing is held
    expect(endsCharacter(Uint8Array.of(0x61, 0x82))).toBe(true);
  });
});

describe("log timestamps (Docker's json-file: RFC3339Nano stored, RFC3339NanoFixed printed by logs -t)", () => {
  test("stored with the fraction's trailing zeros dropped, as Go marshals a time", () => {
    expect(rfc3339Nano(1700000000123456789n)).toBe("2023-11-14T22:13:20.123456789Z");
    expect(rfc3339Nano(1700000000120000000n)).toBe("2023-11-14T22:13:20.12Z");
    expect(rfc3339Nano(1700000000000000500n)).toBe("2023-11-14T22:13:20.0000005Z");
    expect(rfc3339Nano(1700000000000000000n)).toBe("2023-11-14T22:13:20Z");
  });

  test("read back to the ns from ours, from older files (ms + a 6-digit counter) and from Docker's", () => {
    expect(timeNs("2023-11-14T22:13:20.123456789Z")).toBe(1700000000123456789n);
    expect(timeNs("2023-11-14T22:13:20.123000001Z")).toBe(1700000000123000001n);
    expect(timeNs("2023-11-14T22:13:20.12Z")).toBe(1700000000120000000n);
    expect(timeNs("2023-11-14T22:13:20Z")).toBe(1700000000000000000n);
    expect(timeNs("2023-11-14T23:13:20.5+01:00")).toBe(1700000000500000000n);
    expect(timeNs("yesterday")).toBeNull();
    for (const ns of [1700000000123456789n, 1700000000000000001n, 1700000000100000000n]) expect(timeNs(rfc3339Nano(ns))).toBe(ns);
  });

  test("logs -t prints nine fraction digits whatever the file holds", () => {
    expect(fixedNano("2023-11-14T22:13:20.12Z")).toBe("2023-11-14T22:13:20.120000000Z");
    expect(fixedNano("2023-11-14T22:13:20Z")).toBe("2023-11-14T22:13:20.000000000Z");
    expect(fixedNano("2023-11-14T22:13:20.123000001Z")).toBe("2023-11-14T22:13:20.123000001Z");
  });

  test("now: the wall clock to the ms, with sub-ms digits, strictly increasing", async () => {
    const seen: bigint[] = [];
    for (let i = 0; i < 200; i++) {
      const before = BigInt(Date.now());
      const ns = nowNs();
      const after = BigInt(Date.now());
      expect(ns / 1_000_000n >= before - 1n && ns / 1_000_000n <= after + 1n).toBe(true);
      seen.push(ns);
      if (i % 20 === 0) await Bun.sleep(1);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
    // the old format's sub-ms digits were a counter (0, 1, 2...): real ones spread over the ms
    const micros = new Set(seen.map((ns) => (ns / 1000n) % 1000n));
    expect(micros.size).toBeGreaterThan(50);
  });

  test("--since/--until values in ns: unix seconds with nanoseconds, RFC 3339 with a fraction, durations", () => {
    expect(parseTime("1700000000.123456789")).toBe(1700000000123456789n);
    expect(parseTime("1700000000")).toBe(1700000000000000000n);
    expect(parseTime("1700000000.5")).toBe(1700000000500000000n);
    expect(parseTime("2023-11-14T22:13:20.000000001Z")).toBe(1700000000000000001n);
    expect(parseTime("10s", 1700000010000)).toBe(1700000000000000000n);
    expect(() => parseTime("soon")).toThrow('invalid value for "since"');
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
