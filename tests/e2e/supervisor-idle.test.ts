/**
 * The detached supervisor's idle mode (src/engine/containers/idle.ts): once a container runs, its
 * supervisor execs itself into a small mode that only logs output and watches for the exit, then execs
 * back to record it. These tests check that it really idles there (cmdline, private memory) and that
 * everything the full mode did still happens: logs (both streams, partial lines, rotation), exit codes,
 * FinishedAt, OOMKilled, restart policies and their counts, stop, SIGTERM forwarding, kill -9, and a
 * binary deleted under a running container.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Harness, isRoot, until } from "./containers-harness.ts";

const h = new Harness();

async function idOf(name: string): Promise<string> {
  return h.ok(["inspect", "-f", "{{.Id}}", name]);
}

/** the supervisor of a container as recorded in its live file */
async function supervisorPid(name: string): Promise<number> {
  const live = JSON.parse(await Bun.file(`${h.run}/containers/${await idOf(name)}/live.json`).text());
  return live.SupervisorPid;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/** waits until the container's supervisor runs in the given hidden mode */
async function inMode(name: string, mode: "__idle" | "__supervise"): Promise<number> {
  const pid = await supervisorPid(name);
  expect(await until(() => cmdline(pid).includes(mode))).toBe(true);
  return pid;
}

function privateDirtyKiB(pid: number): number {
  const m = /^Private_Dirty:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  return Number(m![1]);
}

async function state(name: string): Promise<string> {
  return h.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}} {{.State.OOMKilled}}", name]);
}

describe.skipIf(!isRoot)("supervisor idle mode", () => {
  h.useInSuite();

  test("a detached container's supervisor idles in the small mode, and its output still reaches the log", async () => {
    await h.ok(["run", "-d", "--name", "talk", "busybox", "sh", "-c", "echo out1; echo err1 >&2; sleep 1; echo out2; printf tail; sleep 1000"]);
    const pid = await inMode("talk", "__idle");
    // the full mode holds ~4.2 MiB of anonymous memory; the idle mode ~1.7 (a regression guard, not the benchmark)
    expect(privateDirtyKiB(pid)).toBeLessThan(2.5 * 1024);
    // a line left open is written once the output has been quiet for a moment (attach shows it then)
    expect(await until(async () => (await h.ok(["logs", "talk"])).includes("out2\ntail"), 5000)).toBe(true);
    const log = readFileSync(join(h.root, "containers", await idOf("talk"), `${await idOf("talk")}-json.log`), "utf8");
    const entries = log.trim().split("\n").map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
    expect(entries.map((e) => [e.stream, e.log])).toEqual([
      ["stdout", "out1\n"],
      ["stderr", "err1\n"],
      ["stdout", "out2\n"],
      ["stdout", "tail"],
    ]);
    expect(entries[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/);
    // and not again when the container ends
    await h.ok(["stop", "-t", "0", "talk"]);
    const r = await h.bunker(["logs", "talk"]);
    expect([r.stdout, r.stderr]).toEqual(["out1\nout2\ntail", "err1\n"]);
  });

  test("exit code, FinishedAt and wait after the idle mode hands back", async () => {
    await h.ok(["run", "-d", "--name", "ex", "busybox", "sh", "-c", "sleep 1; exit 7"]);
    const pid = await inMode("ex", "__idle");
    expect(await h.ok(["wait", "ex"])).toBe("7");
    expect(await state("ex")).toBe("exited 7 0 false");
    const finished = Date.parse(await h.ok(["inspect", "-f", "{{.State.FinishedAt}}", "ex"]));
    const started = Date.parse(await h.ok(["inspect", "-f", "{{.State.StartedAt}}", "ex"]));
    expect(finished - started).toBeGreaterThanOrEqual(900);
    // the supervisor (same pid through both execs) is gone once it recorded the exit
    expect(await until(() => cmdline(pid).length <= 1)).toBe(true);
  });

  test("restart policy on-failure:2 with runs long enough to go idle: two restarts, then exited", async () => {
    await h.ok(["run", "-d", "--name", "rp", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; sleep 0.7; exit 3"]);
    await inMode("rp", "__idle");
    expect(await until(async () => (await state("rp")) === "exited 3 2 false", 15_000)).toBe(true);
    expect(await h.ok(["logs", "rp"])).toBe("run\nrun\nrun");
  });

  test("restart policy always: an idle container is restarted after it exits, and a stop is final", async () => {
    await h.ok(["run", "-d", "--name", "al", "--restart", "always", "busybox", "sh", "-c", "sleep 0.7; exit 1"]);
    await inMode("al", "__idle");
    expect(await until(async () => Number(await h.ok(["inspect", "-f", "{{.RestartCount}}", "al"])) >= 2, 15_000)).toBe(true);
    await h.ok(["stop", "-t", "1", "al"]);
    expect((await state("al")).startsWith("exited ")).toBe(true);
    const count = await h.ok(["inspect", "-f", "{{.RestartCount}}", "al"]);
    await Bun.sleep(1500);
    expect(await h.ok(["inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "al"])).toBe(`${count} exited`);
  });

  test("stop of an idle container: its TERM handler runs and its own exit code is recorded", async () => {
    await h.ok(["run", "-d", "--name", "st", "busybox", "sh", "-c", "trap 'echo bye; exit 4' TERM; while true; do sleep 0.1; done"]);
    await inMode("st", "__idle");
    await h.ok(["stop", "-t", "5", "st"]);
    expect(await state("st")).toBe("exited 4 0 false");
    expect(await h.ok(["logs", "st"])).toBe("bye");
  });

  test("SIGTERM to the idle supervisor is forwarded to the container", async () => {
    await h.ok(["run", "-d", "--name", "fw", "busybox", "sh", "-c", "trap 'echo got term; exit 5' TERM; while true; do sleep 0.1; done"]);
    const pid = await inMode("fw", "__idle");
    process.kill(pid, "SIGTERM");
    expect(await until(async () => (await state("fw")) === "exited 5 0 false")).toBe(true);
    expect(await h.ok(["logs", "fw"])).toBe("got term");
  });

  test("OOMKilled is recorded for a container that was idle when the kernel killed it", async () => {
    await h.ok(["run", "-d", "--name", "oom", "--memory", "16m", "--memory-swap", "16m", "busybox", "sh", "-c", "sleep 1; x=a; while true; do x=$x$x; done"]);
    await inMode("oom", "__idle");
    expect(await until(async () => (await state("oom")) === "exited 137 0 true", 15_000)).toBe(true);
  });

  test("kill -9 of the idle supervisor: ps tells the truth and rm -f cleans up", async () => {
    await h.ok(["run", "-d", "--name", "k9", "busybox", "sleep", "1000"]);
    process.kill(await inMode("k9", "__idle"), "SIGKILL");
    await Bun.sleep(100);
    expect(await h.ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("k9 running");
    await h.ok(["rm", "-f", "k9"]);
    expect(h.processes()).toEqual([]);
    expect(h.cgroupDirs()).toEqual([]);
  });

  test("logs rotate in the idle mode: files stay bounded and the newest lines are kept", async () => {
    const script = "sleep 1; i=0; while [ $i -lt 400 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; sleep 1000";
    await h.ok(["run", "-d", "--name", "rot", "--log-opt", "max-size=4k", "--log-opt", "max-file=2", "busybox", "sh", "-c", script]);
    await inMode("rot", "__idle");
    expect(await until(async () => (await h.ok(["logs", "--tail", "1", "rot"])) === `line-399-${"x".repeat(40)}`, 10_000)).toBe(true);
    const id = await idOf("rot");
    const dir = join(h.root, "containers", id);
    const files = readdirSync(dir).filter((f) => f.startsWith(`${id}-json.log`)).sort();
    expect(files).toEqual([`${id}-json.log`, `${id}-json.log.1`]);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(4096);
    // what is kept is contiguous and ends with the last line
    const lines = (await h.ok(["logs", "rot"])).split("\n").map((l) => Number(l.split("-")[1]));
    expect(lines.at(-1)).toBe(399);
    expect(lines).toEqual(lines.map((_, i) => lines[0]! + i));
    // still logging and watching after the rotation: the exit is recorded
    await h.ok(["stop", "-t", "0", "rot"]);
    expect(await state("rot")).toBe("exited 137 0 false");
  });

  test("a burst of output while idle: every line once and in order, memory bounded, then given back", async () => {
    await h.ok(["run", "-d", "--name", "burst", "busybox", "sh", "-c", "sleep 1; seq 1 100000; echo done >&2; sleep 3; echo after; sleep 1000"]);
    const pid = await inMode("burst", "__idle");
    let peak = 0;
    let finished = false;
    const done = until(async () => (await h.bunker(["logs", "--tail", "1", "burst"])).stderr === "done\n", 20_000).finally(() => (finished = true));
    while (!finished) {
      peak = Math.max(peak, privateDirtyKiB(pid));
      await Bun.sleep(20);
    }
    expect(await done).toBe(true);
    // read only as fast as the log takes it: no queue of the whole burst in memory
    expect(peak).toBeLessThan(32 * 1024);
    // after a quiet second the idle mode refreshes itself (same pid, still idle): the heap the burst
    // left behind is gone, and output goes on reaching the log
    // (the refresh passes through the full mode for a moment: both are checked on the same sample)
    expect(await until(() => cmdline(pid).includes("__idle") && privateDirtyKiB(pid) < 2 * 1024, 10_000)).toBe(true);
    expect(await until(async () => (await h.ok(["logs", "--tail", "1", "burst"])) === "after", 10_000)).toBe(true);
    const out = (await h.ok(["logs", "burst"])).split("\n");
    expect(out.length).toBe(100001);
    expect(out.slice(0, 100000).every((l, i) => l === String(i + 1))).toBe(true);
    await h.ok(["stop", "-t", "1", "burst"]);
    expect(await state("burst")).toBe("exited 137 0 false");
  });

  test("a line still open after a burst is not cut in two by the idle mode's refresh", async () => {
    await h.ok(["run", "-d", "--name", "open", "busybox", "sh", "-c", "sleep 1; seq 1 30000; printf half; sleep 2.5; echo -rest; sleep 1000"]);
    await inMode("open", "__idle");
    expect(await until(async () => (await h.ok(["logs", "--tail", "1", "open"])) === "half-rest", 10_000)).toBe(true);
    expect((await h.ok(["logs", "open"])).split("\n").length).toBe(30001);
  });

  test("a container that closes its stdout early: stderr is still logged and its exit recorded", async () => {
    await h.ok(["run", "-d", "--name", "closer", "busybox", "sh", "-c", "sleep 1; exec 1>&-; seq 1 30000 >&2; sleep 2.5; echo late >&2; exit 3"]);
    await inMode("closer", "__idle");
    expect(await h.ok(["wait", "closer"])).toBe("3");
    const r = await h.bunker(["logs", "closer"]);
    const err = r.stderr.trim().split("\n");
    expect(err.length).toBe(30001);
    expect(err.at(-1)).toBe("late");
    expect(r.stdout).toBe("");
  });

  test.skipIf(!process.env.BUNKER_BIN)("the binary deleted (or upgraded) while idle: the exit is still recorded by the code that started it", async () => {
    const dir = mkdtempSync("/tmp/bunker-idle-bin-");
    try {
      const bin = join(dir, "bunker");
      copyFileSync(process.env.BUNKER_BIN!, bin);
      chmodSync(bin, 0o755);
      const proc = Bun.spawn([bin, "--root", h.root, "--run-root", h.run, "run", "-d", "--name", "gone", "busybox", "sh", "-c", "trap 'exit 6' TERM; while true; do sleep 0.1; done"], {
        stdio: ["ignore", "pipe", "pipe"],
        env: h.env(),
      });
      expect(await proc.exited).toBe(0);
      const pid = await inMode("gone", "__idle");
      rmSync(bin);
      process.kill(pid, "SIGTERM");
      expect(await until(async () => (await state("gone")) === "exited 6 0 false")).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});

/**
 * Private_Dirty + Private_Clean, as scripts/bench-containers measures a supervisor. Only meaningful with
 * several supervisors running: the binary's pages that a lone process has touched count as its
 * Private_Clean (~28 MiB), and as shared once another process maps them too, as in the benchmark.
 */
function privateKiB(pid: number): number {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  let kib = 0;
  for (const m of t.matchAll(/^Private_(?:Dirty|Clean):\s+(\d+) kB$/gm)) kib += Number(m[1]);
  return kib;
}

/** `bunker <args>` on a pseudo-terminal of its own, 30 rows by 100 columns */
function onTerminal(args: string[]) {
  let out = "";
  const proc = Bun.spawn(h.argv(args), {
    env: h.env(),
    terminal: { cols: 100, rows: 30, data: (_t, d) => void (out += new TextDecoder().decode(d)) },
  });
  return { proc, output: () => out, type: (s: string) => proc.terminal!.write(s) };
}

describe.skipIf(!isRoot)("supervisor idle mode with -i and -t", () => {
  h.useInSuite();

  test("-dit and -di supervisors idle at 2 MiB or less, with their output still logged", async () => {
    // as the benchmark: several of each, an interactive shell among them
    await h.ok(["run", "-dit", "--name", "tty", "busybox", "sh", "-c", "echo from-tty; sleep 1000"]);
    await h.ok(["run", "-d", "-i", "--name", "inp", "busybox", "sh", "-c", "echo from-pipe; echo err-pipe >&2; sleep 1000"]);
    await h.ok(["run", "-dit", "--name", "shell1", "busybox", "sh"]);
    await h.ok(["run", "-d", "-i", "--name", "cat1", "busybox", "cat"]);
    const pids = [await inMode("tty", "__idle"), await inMode("inp", "__idle"), await inMode("shell1", "__idle"), await inMode("cat1", "__idle")];
    // settled: the idle mode collects its start-up garbage a second after the last output
    await Bun.sleep(2500);
    for (const pid of pids) expect(privateKiB(pid)).toBeLessThanOrEqual(2048);
    expect(await h.ok(["logs", "tty"])).toBe("from-tty");
    const r = await h.bunker(["logs", "inp"]);
    expect([r.stdout, r.stderr]).toEqual(["from-pipe\n", "err-pipe\n"]);
  });

  test("attach and detach while idle: typing, window size, output while nobody is attached, exit code", async () => {
    await h.ok(["run", "-dit", "--name", "shell", "busybox", "sh"]);
    const pid = await inMode("shell", "__idle");
    const a = onTerminal(["attach", "shell"]);
    await Bun.sleep(300);
    // the size is set by the client on the idle supervisor's pty master
    a.type("stty size; echo one-$((40+2)); (sleep 2; echo alone-$((1+2))) &\n");
    expect(await until(() => a.output().includes("one-42"))).toBe(true);
    expect(a.output()).toContain("30 100");
    a.type("\x10\x11");
    expect(await a.proc.exited).toBe(1);
    expect(a.output()).not.toContain("alone-3");
    // the same process image served all of it, and is as small as before (the idle mode ~1.6 MiB of
    // Private_Dirty, the full mode ~4)
    expect(cmdline(pid)).toContain("__idle");
    expect(privateDirtyKiB(pid)).toBeLessThan(2048);
    // output while nobody is attached reaches the log through the idle mode
    expect(await until(async () => (await h.ok(["logs", "shell"])).includes("alone-3"), 5000)).toBe(true);
    const b = onTerminal(["attach", "shell"]);
    await Bun.sleep(300);
    b.type("exit 9\n");
    expect(await b.proc.exited).toBe(9);
    expect(await state("shell")).toBe("exited 9 0 false");
  });

  test("-di: input through attach while idle; start -a -i ends the input, and the exit code comes back", async () => {
    await h.ok(["run", "-d", "-i", "--name", "cat", "busybox", "sh", "-c", "cat; echo eof-seen; exit 4"]);
    const pid = await inMode("cat", "__idle");
    const first = Bun.spawn(h.argv(["attach", "cat"]), { env: h.env(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(300);
    first.stdin.write("line-1\n");
    await first.stdin.end();
    expect(await until(async () => (await h.ok(["logs", "cat"])) === "line-1")).toBe(true);
    // (SIGTERM would be proxied to the container, as Docker's attach does)
    first.kill("SIGKILL");
    await first.exited;
    // start -a -i closes the container's stdin at our EOF, as `docker start -a -i` does
    const r = await h.bunker(["start", "-a", "-i", "cat"], "line-2\n");
    expect([r.code, r.stdout]).toEqual([4, "line-2\neof-seen\n"]);
    expect(await h.ok(["logs", "cat"])).toBe("line-1\nline-2\neof-seen");
    expect(cmdline(pid).length).toBeLessThanOrEqual(1);
  });

  test("-di: after its input ended the supervisor stays idle, and small", async () => {
    await h.ok(["run", "-d", "-i", "--name", "ender", "busybox", "sh", "-c", "cat; echo eof-seen; sleep 1000"]);
    const pid = await inMode("ender", "__idle");
    const r = Bun.spawn(h.argv(["start", "-a", "-i", "ender"]), { env: h.env(), stdin: new TextEncoder().encode("bye\n"), stdout: "pipe" });
    expect(await until(async () => (await h.ok(["logs", "ender"])) === "bye\neof-seen")).toBe(true);
    // ending the input loads node:fs into the idle mode; its refresh a second later gives that back
    expect(await until(() => cmdline(pid).includes("__idle") && privateDirtyKiB(pid) < 2048, 5000)).toBe(true);
    await h.ok(["stop", "-t", "0", "ender"]);
    expect(await r.exited).toBe(137);
    expect(await state("ender")).toBe("exited 137 0 false");
  });

  test("input bigger than the pipe and pty buffers reaches the container whole through the idle mode", async () => {
    await h.ok(["run", "-d", "-i", "--name", "count", "busybox", "wc", "-c"]);
    await inMode("count", "__idle");
    const r = await h.bunker(["start", "-a", "-i", "count"], "x".repeat(1024 * 1024));
    expect([r.code, r.stdout.trim()]).toEqual([0, "1048576"]);

    await h.ok(["run", "-dit", "--name", "paste", "busybox", "sh"]);
    await inMode("paste", "__idle");
    const a = onTerminal(["attach", "paste"]);
    await Bun.sleep(300);
    a.type("cat > /tmp/p\n");
    await Bun.sleep(200);
    // typed while the shell's echo of it comes back: the idle mode writes and reads the pty at once
    a.type(`${"y".repeat(199)}\n`.repeat(1000));
    a.type("\x04");
    a.type("echo lines-$(wc -l < /tmp/p) bytes-$(wc -c < /tmp/p)\n");
    expect(await until(() => a.output().includes("lines-1000 bytes-200000"), 20_000)).toBe(true);
    a.type("exit\n");
    expect(await a.proc.exited).toBe(0);
  });

  test("a burst of tty output while idle: every line once, in order, across the idle mode's refresh", async () => {
    await h.ok(["run", "-dit", "--name", "ttyburst", "busybox", "sh", "-c", "sleep 1; seq 1 50000; sleep 3; echo after; sleep 1000"]);
    const pid = await inMode("ttyburst", "__idle");
    expect(await until(async () => (await h.ok(["logs", "--tail", "1", "ttyburst"])) === "after", 20_000)).toBe(true);
    const out = (await h.ok(["logs", "ttyburst"])).split("\r\n");
    expect(out.length).toBe(50001);
    expect(out.slice(0, 50000).every((l, i) => l === String(i + 1))).toBe(true);
    expect(await until(() => cmdline(pid).includes("__idle") && privateDirtyKiB(pid) < 2048, 5000)).toBe(true);
  });

  test("a burst at a shell's prompt: the prompt is written at once, and the refresh after the burst loses nothing", async () => {
    await h.ok(["run", "-dit", "--name", "prompt", "busybox", "sh"]);
    const pid = await inMode("prompt", "__idle");
    const a = onTerminal(["attach", "prompt"]);
    await Bun.sleep(300);
    a.type("seq 1 30000\n");
    expect(await until(() => a.output().includes("30000"), 20_000)).toBe(true);
    // the prompt after the burst shows though no newline follows it
    expect(await until(() => /30000\r+\n\/ # /.test(a.output()), 5000)).toBe(true);
    a.type("\x10\x11");
    expect(await a.proc.exited).toBe(1);
    // refreshed (only a refresh hands "pending" on): the prompt, written while output was quiet, is no
    // longer open there
    expect(await until(() => cmdline(pid).some((arg) => arg.includes('"pending":{}')), 10_000)).toBe(true);
    // (a fresh image settles within a second or so: its start-up garbage is collected once quiet)
    expect(await until(() => cmdline(pid).includes("__idle") && privateDirtyKiB(pid) < 2048, 5000)).toBe(true);
    const b = onTerminal(["attach", "prompt"]);
    await Bun.sleep(300);
    b.type("echo after-$((2+2))\n");
    expect(await until(() => b.output().includes("after-4"))).toBe(true);
    b.type("exit\n");
    expect(await b.proc.exited).toBe(0);
    const logs = (await h.bunker(["logs", "prompt"])).stdout;
    expect(logs.split("\r\n").filter((l) => /^\d+$/.test(l)).length).toBe(30000);
    expect(logs.split("echo after-$((2+2))").length).toBe(2);
    // prompt and typed command, two entries in the file, are one line for `logs -t`
    const line = (await h.bunker(["logs", "-t", "prompt"])).stdout.split("\n").find((l) => l.includes("echo after-"));
    expect(line).toMatch(/^\S+Z \/ # .*echo after-\$\(\(2\+2\)\)\r$/);
  });

  test("-dit with a restart policy: each run idles, restarts are counted, stop is final", async () => {
    await h.ok(["run", "-dit", "--name", "again", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; sleep 0.7; exit 3"]);
    await inMode("again", "__idle");
    expect(await until(async () => (await state("again")) === "exited 3 2 false", 15_000)).toBe(true);
    expect(await h.ok(["logs", "again"])).toBe("run\r\nrun\r\nrun");
  });

  test("stop, OOM and kill -9 of an idle -dit supervisor", async () => {
    await h.ok(["run", "-dit", "--name", "stopme", "busybox", "sh", "-c", "trap 'echo bye; exit 4' TERM; while true; do sleep 0.1; done"]);
    await inMode("stopme", "__idle");
    await h.ok(["stop", "-t", "5", "stopme"]);
    expect(await state("stopme")).toBe("exited 4 0 false");
    expect(await h.ok(["logs", "stopme"])).toBe("bye");

    await h.ok(["run", "-dit", "--name", "oomtty", "--memory", "16m", "--memory-swap", "16m", "busybox", "sh", "-c", "sleep 1; x=a; while true; do x=$x$x; done"]);
    await inMode("oomtty", "__idle");
    expect(await until(async () => (await state("oomtty")) === "exited 137 0 true", 15_000)).toBe(true);

    // (not cat: the stdin pipe closes with its holder, and cat would end)
    await h.ok(["run", "-d", "-i", "--name", "k9i", "busybox", "sleep", "1000"]);
    process.kill(await inMode("k9i", "__idle"), "SIGKILL");
    await Bun.sleep(100);
    expect(await h.ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("k9i running");
    await h.ok(["rm", "-f", "k9i"]);
    expect(h.processes()).toEqual([]);
  });
});
