/**
 * Log times as Docker has them: stored with nanosecond digits (Go's RFC3339Nano, trailing zeros
 * dropped), printed by `logs -t` with nine fraction digits always (RFC3339NanoFixed), and --since /
 * --until compared to the nanosecond, for our entries and for those of older log files.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync } from "node:fs";
import { Harness, isRoot } from "./containers-harness.ts";

const h = new Harness();

async function logPath(name: string): Promise<string> {
  return h.ok(["inspect", "-f", "{{.LogPath}}", name]);
}

describe.skipIf(!isRoot)("logs times", () => {
  h.useInSuite();

  test("logs -t: nine digits, the stored time to the ns; --since/--until at an entry's own time", async () => {
    // both the attached writer (this run) and the detached supervisor's idle mode write the entries
    await h.ok(["run", "--name", "att", "busybox", "sh", "-c", "echo a; echo b; echo c"]);
    await h.ok(["run", "-d", "--name", "det", "busybox", "sh", "-c", "sleep 1; echo a; echo b; echo c"]);
    expect(await h.ok(["wait", "det"])).toBe("0");
    for (const name of ["att", "det"]) {
      const stored = readFileSync(await logPath(name), "utf8").trim().split("\n").map((l) => JSON.parse(l).time as string);
      expect(stored.length).toBe(3);
      for (const t of stored) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/);
      const lines = (await h.ok(["logs", "-t", name])).split("\n");
      expect(lines.map((l) => l.split(" ")[1])).toEqual(["a", "b", "c"]);
      for (const [i, l] of lines.entries()) {
        const printed = l.split(" ")[0]!;
        expect(printed).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        // the same instant: the stored fraction padded with zeros
        const [whole, frac = ""] = stored[i]!.slice(0, -1).split(".");
        expect(printed).toBe(`${whole}.${frac.padEnd(9, "0")}Z`);
      }
      // entries of one burst are µs apart: only a time finer than the ms tells them apart
      const b = lines[1]!.split(" ")[0]!;
      expect(await h.ok(["logs", "--since", b, name])).toBe("b\nc");
      expect(await h.ok(["logs", "--until", b, name])).toBe("a\nb");
      // the same as unix seconds.nanoseconds, one ns later
      const ns = BigInt(Date.parse(`${b.slice(0, 19)}Z`)) * 1_000_000n + BigInt(b.slice(20, 29)) + 1n;
      const unix = `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`;
      expect(await h.ok(["logs", "--since", unix, name])).toBe("c");
      expect(await h.ok(["logs", "--until", unix, name])).toBe("a\nb");
    }
  });

  test("older log files: ms with a counter, and Docker's trimmed times, print and filter as before", async () => {
    await h.ok(["create", "--name", "old", "busybox", "true"]);
    const entries = [
      { log: "one\n", stream: "stdout", time: "2024-05-06T07:08:09.123000000Z" },
      { log: "two\n", stream: "stdout", time: "2024-05-06T07:08:09.123000001Z" },
      { log: "three\n", stream: "stderr", time: "2024-05-06T07:08:10Z" },
      { log: "four\n", stream: "stdout", time: "2024-05-06T07:08:10.5Z" },
    ];
    appendFileSync(await logPath("old"), entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
    const r = await h.bunker(["logs", "-t", "old"]);
    expect(r.stdout).toBe(
      "2024-05-06T07:08:09.123000000Z one\n2024-05-06T07:08:09.123000001Z two\n2024-05-06T07:08:10.500000000Z four\n",
    );
    expect(r.stderr).toBe("2024-05-06T07:08:10.000000000Z three\n");
    expect(await h.ok(["logs", "--since", "2024-05-06T07:08:09.123000001Z", "old"])).toBe("two\nfour");
    expect(await h.ok(["logs", "--until", "2024-05-06T07:08:09.1230000009Z", "old"])).toBe("one");
    // 1714979290 is 07:08:10 exactly: both ends are inclusive, as Docker's
    const r2 = await h.bunker(["logs", "--since", "1714979290", "--until", "1714979290.4", "old"]);
    expect([r2.stdout, r2.stderr]).toEqual(["", "three\n"]);
    const r3 = await h.bunker(["logs", "--since", "1714979289", "--until", "1714979290", "old"]);
    expect([r3.stdout, r3.stderr]).toEqual(["one\ntwo\n", "three\n"]);
  });
});
