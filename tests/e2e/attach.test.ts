/**
 * `bunker attach` against Docker's behaviour: the state checks and their wording, output streamed from
 * the moment of attaching, stdin into a -i container, the detach keys of a -t container (which keep it
 * running), the container's exit code passed through, signals proxied to a plain container.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Harness, isRoot, until } from "./containers-harness.ts";

const h = new Harness();

/** `bunker attach` on a pseudo-terminal of its own (as from an interactive shell) */
function attachOnTerminal(args: string[]) {
  return onTerminal(["attach", ...args]);
}

/** `bunker <args>` on a pseudo-terminal of its own, 30 rows by 100 columns */
function onTerminal(args: string[]) {
  let out = "";
  const waiting = new Set<() => void>();
  const proc = Bun.spawn(h.argv(args), {
    env: h.env(),
    terminal: {
      cols: 100,
      rows: 30,
      data: (_t, d) => {
        out += new TextDecoder().decode(d);
        for (const check of waiting) check();
      },
    },
  });
  const has = (what: string | RegExp) => (typeof what === "string" ? out.includes(what) : what.test(out));
  /** when (performance.now(), taken as the output arrived) `what` showed, or null after `ms` */
  const seen = (what: string | RegExp, ms: number) =>
    new Promise<number | null>((resolve) => {
      if (has(what)) return resolve(performance.now());
      const check = () => {
        if (!has(what)) return;
        waiting.delete(check);
        clearTimeout(timer);
        resolve(performance.now());
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        resolve(null);
      }, ms);
      waiting.add(check);
    });
  return { proc, output: () => out, type: (s: string) => proc.terminal!.write(s), seen };
}

function privateDirtyKiB(pid: number): number {
  const m = /^Private_Dirty:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  return Number(m![1]);
}

/** `bunker attach` with pipes for stdin/stdout/stderr */
function attachPiped(args: string[]) {
  const proc = Bun.spawn(h.argv(["attach", ...args]), { env: h.env(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let out = "";
  const reading = (async () => {
    for await (const c of proc.stdout) out += new TextDecoder().decode(c);
  })();
  const err = new Response(proc.stderr).text();
  return { proc, output: () => out, done: async () => ({ code: await proc.exited, out: (await reading, out), err: await err }) };
}

async function status(name: string): Promise<string> {
  return h.ok(["inspect", "-f", "{{.State.Status}}", name]);
}

describe.skipIf(!isRoot)("attach", () => {
  h.useInSuite();

  test("a stopped or paused container is refused with Docker's words", async () => {
    await h.ok(["create", "--name", "made", "busybox", "true"]);
    let r = await h.bunker(["attach", "made"]);
    expect([r.code, r.stderr.trim()]).toEqual([1, "You cannot attach to a stopped container, start it first"]);
    await h.ok(["run", "-d", "--name", "held", "busybox", "sleep", "1000"]);
    await h.ok(["pause", "held"]);
    r = await h.bunker(["attach", "held"]);
    expect([r.code, r.stderr.trim()]).toEqual([1, "You cannot attach to a paused container, unpause it first"]);
    r = await h.bunker(["attach", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No such container: nope");
  });

  test("output from the moment of attaching, then the container's exit code", async () => {
    await h.ok(["run", "-d", "--name", "out", "busybox", "sh", "-c", "echo before; sleep 1.5; echo after; echo err >&2; exit 3"]);
    expect(await until(async () => (await h.ok(["logs", "out"])) === "before")).toBe(true);
    const a = attachPiped(["out"]);
    const r = await a.done();
    expect([r.code, r.out, r.err]).toEqual([3, "after\n", "err\n"]);
  });

  test("-i: stdin reaches the container; our EOF leaves its stdin open, as Docker's attach does", async () => {
    await h.ok(["run", "-d", "-i", "--name", "cat", "busybox", "cat"]);
    const a = attachPiped(["cat"]);
    await Bun.sleep(300);
    a.proc.stdin.write("hello\n");
    a.proc.stdin.end();
    expect(await until(() => a.output() === "hello\n")).toBe(true);
    await Bun.sleep(300);
    expect(await status("cat")).toBe("running");
    // a second attach still gets through: the first one's EOF did not close cat's stdin
    const b = attachPiped(["cat"]);
    await Bun.sleep(300);
    b.proc.stdin.write("again\n");
    expect(await until(() => b.output() === "again\n")).toBe(true);
    await h.ok(["kill", "cat"]);
    expect((await a.done()).code).toBe(137);
    expect((await b.done()).code).toBe(137);
  });

  test("--no-stdin: nothing typed reaches the container", async () => {
    await h.ok(["run", "-d", "-i", "--name", "deaf", "busybox", "sh", "-c", "read x; echo got:$x; exit 0"]);
    const a = attachPiped(["--no-stdin", "deaf"]);
    await Bun.sleep(300);
    a.proc.stdin.write("typed\n");
    await Bun.sleep(500);
    expect(await status("deaf")).toBe("running");
    await h.ok(["kill", "deaf"]);
    expect(await a.done()).toEqual({ code: 137, out: "", err: "" });
  });

  test("-t: typing reaches the shell, Ctrl-p Ctrl-q detaches and leaves it running", async () => {
    await h.ok(["run", "-dit", "--name", "sh", "busybox", "sh"]);
    const a = attachOnTerminal(["sh"]);
    await Bun.sleep(300);
    a.type("echo mark-$((6*7))\n");
    expect(await until(() => a.output().includes("mark-42\r\n"))).toBe(true);
    // our terminal passes the container's "\r\n" as it is (output processing off, as Docker's raw mode)
    expect(a.output()).not.toContain("\r\r\n");
    a.type("\x10\x11");
    expect(await a.proc.exited).toBe(1);
    expect(a.output()).toContain("read escape sequence");
    expect(await status("sh")).toBe("running");
    // attach again, and leave by ending the shell: its exit code comes back
    const b = attachOnTerminal(["sh"]);
    await Bun.sleep(300);
    b.type("exit 9\n");
    expect(await b.proc.exited).toBe(9);
    expect(await status("sh")).toBe("exited");
  });

  test("-t: the prompt and the echo of typing show before any newline, and logs hold each byte once", async () => {
    await h.ok(["run", "-dit", "--name", "live", "busybox", "sh"]);
    const id = await h.ok(["inspect", "-f", "{{.Id}}", "live"]);
    // the shell's first prompt reaches the log though no newline follows it
    expect(await until(async () => (await h.bunker(["logs", "live"])).stdout.includes("/ # "), 5000)).toBe(true);
    const a = attachOnTerminal(["live"]);
    // our window size is the pty's first (a detached one starts at 0x0): busybox's line editor redraws
    // its prompt on that SIGWINCH, a line left open that attach shows once the output is quiet
    expect(await a.seen("/ # ", 5000)).not.toBeNull();
    const typedAt = performance.now();
    a.type("echo hi");
    const echoedAt = await a.seen("echo hi", 5000);
    expect(echoedAt).not.toBeNull();
    // the writer waits 20 ms of quiet, the follower is woken by inotify: far less than this on an idle host
    expect(echoedAt! - typedAt).toBeLessThan(500);
    expect(a.output()).not.toMatch(/\nhi\r/);
    a.type("\r");
    expect(await a.seen(/echo hi\r+\nhi\r+\n\/ # /, 5000)).not.toBeNull();
    a.type("\x10\x11");
    expect(await a.proc.exited).toBe(1);

    const logs = (await h.bunker(["logs", "live"])).stdout;
    expect(logs.split("echo hi").length).toBe(2);
    expect(logs.split("\r\nhi\r\n").length).toBe(2);
    expect(logs).toMatch(/^\r\n\r\nBusyBox [^\n]*\n[\s\S]*\/ # [\s\S]*echo hi\r\nhi\r\n\/ # (\x1b\[6n)?$/);
    // the echo was written before its newline came, as an entry of its own; `logs` prints the entries'
    // bytes back to back, so that changes nothing there
    const log = readFileSync(join(h.root, "containers", id, `${id}-json.log`), "utf8");
    const entries = log.trim().split("\n").map((l) => JSON.parse(l).log as string);
    expect(entries.some((e) => e.endsWith("echo hi"))).toBe(true);
    expect(entries.join("")).toBe(logs);
    // and `logs -t` stamps a line once, as Docker does (its file would hold the line as one entry)
    const stamped = (await h.bunker(["logs", "-t", "live"])).stdout.split("\n");
    const line = stamped.find((l) => l.includes("echo hi"))!;
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
    expect(line.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /g)?.length).toBe(1);
    // the supervisor served all of it from its idle mode, and is as small as it was
    const sup = JSON.parse(readFileSync(`${h.run}/containers/${id}/live.json`, "utf8")).SupervisorPid as number;
    expect(readFileSync(`/proc/${sup}/cmdline`, "utf8").split("\0")).toContain("__idle");
    expect(await until(() => privateDirtyKiB(sup) < 2048, 5000)).toBe(true);
  });

  test("-t: the echo shows before Enter from a full-mode supervisor and from an attached run -it too", async () => {
    // a supervisor kept out of its idle mode writes the log with the same writer (logs.ts JsonLogWriter)
    const full = Bun.spawn(h.argv(["run", "-dit", "--name", "full", "busybox", "sh"]), {
      env: { ...h.env(), BUNKER_SUPERVISOR_IDLE: "0" },
      stdout: "ignore",
      stderr: "ignore",
    });
    expect(await full.exited).toBe(0);
    const a = attachOnTerminal(["full"]);
    expect(await a.seen("/ # ", 5000)).not.toBeNull();
    a.type("echo full-mode");
    expect(await a.seen("echo full-mode", 5000)).not.toBeNull();
    expect(a.output()).not.toContain("echo full-mode\r");
    a.type("\x10\x11");
    expect(await a.proc.exited).toBe(1);
    // an attached run -it writes the log itself; an attach follows that log
    const run = onTerminal(["run", "-it", "--name", "fg", "busybox", "sh"]);
    expect(await run.seen("/ # ", 5000)).not.toBeNull();
    const b = attachOnTerminal(["--no-stdin", "fg"]);
    await Bun.sleep(300);
    run.type("echo typed-in-run");
    expect(await b.seen("echo typed-in-run", 5000)).not.toBeNull();
    run.type("\rexit 3\r");
    expect(await run.proc.exited).toBe(3);
    expect(await b.proc.exited).toBe(3);
    expect((await h.bunker(["logs", "fg"])).stdout.split("echo typed-in-run").length).toBe(2);
  });

  test("-t without -i: no input, but our window size reaches the container", async () => {
    await h.ok(["run", "-d", "-t", "--name", "size", "busybox", "sh", "-c", "while true; do stty size; sleep 0.2; done"]);
    // a detached pty starts at 0x0, where busybox's stty size fails
    expect(await until(async () => (await h.ok(["logs", "size"])).includes("stty"))).toBe(true);
    expect(await h.ok(["logs", "size"])).not.toContain("30 100");
    const a = attachOnTerminal(["size"]);
    expect(await until(() => a.output().includes("30 100"))).toBe(true);
    await h.ok(["kill", "size"]);
    expect(await a.proc.exited).toBe(137);
  });

  test("--detach-keys: the given sequence detaches; an invalid one is refused", async () => {
    await h.ok(["run", "-dit", "--name", "keys", "busybox", "sh"]);
    const r = await h.bunker(["attach", "--detach-keys", "ctrl-", "keys"]);
    expect([r.code, r.stderr.trim()]).toEqual([1, "Error response from daemon: Invalid detach keys (ctrl-) provided"]);
    const a = attachOnTerminal(["--detach-keys", "ctrl-x,y", "keys"]);
    await Bun.sleep(300);
    // the default keys are typed through to the shell now; ctrl-x alone then y detaches
    a.type("\x10\x11echo still-$((1+1))\n");
    expect(await until(() => a.output().includes("still-2"))).toBe(true);
    a.type("\x18y");
    expect(await a.proc.exited).toBe(1);
    expect(await status("keys")).toBe("running");
  });

  test("a -t container with stdin that is not a terminal is refused", async () => {
    await h.ok(["run", "-dit", "--name", "tty", "busybox", "sh"]);
    const r = await h.bunker(["attach", "tty"], "echo hi\n");
    expect([r.code, r.stderr.trim()]).toEqual([1, "the input device is not a TTY"]);
  });

  test("start -a -i joins like attach: Ctrl-p Ctrl-q detaches a -t container, --detach-keys too; signals reach a plain one", async () => {
    await h.ok(["create", "-it", "--name", "st", "busybox", "sh"]);
    const a = onTerminal(["start", "-a", "-i", "st"]);
    await Bun.sleep(300);
    a.type("echo mark-$((6*7))\n");
    expect(await until(() => a.output().includes("mark-42"))).toBe(true);
    a.type("\x10\x11");
    expect(await a.proc.exited).toBe(1);
    expect(a.output()).toContain("read escape sequence");
    expect(await status("st")).toBe("running");
    await h.ok(["stop", "-t", "1", "st"]);
    const b = onTerminal(["start", "-a", "-i", "--detach-keys", "ctrl-x,y", "st"]);
    await Bun.sleep(300);
    b.type("\x18y");
    expect(await b.proc.exited).toBe(1);
    expect(await status("st")).toBe("running");
    const bad = await h.bunker(["start", "-a", "--detach-keys", "ctrl-", "st"]);
    expect([bad.code, bad.stderr.trim()]).toEqual([1, "Error response from daemon: Invalid detach keys (ctrl-) provided"]);

    await h.ok(["create", "--name", "stsig", "busybox", "sh", "-c", "trap 'echo got-term; exit 5' TERM; while true; do sleep 0.1; done"]);
    const c = Bun.spawn(h.argv(["start", "-a", "stsig"]), { env: h.env(), stdout: "pipe", stderr: "pipe" });
    const out = new Response(c.stdout).text();
    expect(await until(async () => (await status("stsig")) === "running")).toBe(true);
    await Bun.sleep(300);
    c.kill("SIGTERM");
    expect([await c.exited, await out]).toEqual([5, "got-term\n"]);
  });

  test("signals to attach are proxied to a plain container (--sig-proxy, on by default)", async () => {
    await h.ok(["run", "-d", "--name", "sig", "busybox", "sh", "-c", "trap 'echo got-term; exit 5' TERM; while true; do sleep 0.1; done"]);
    const a = attachPiped(["sig"]);
    await Bun.sleep(500);
    a.proc.kill("SIGTERM");
    const r = await a.done();
    expect([r.code, r.out]).toEqual([5, "got-term\n"]);
  });
});
