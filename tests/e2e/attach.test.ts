/**
 * `bunker attach` against Docker's behaviour: the state checks and their wording, output streamed from
 * the moment of attaching, stdin into a -i container, the detach keys of a -t container (which keep it
 * running), the container's exit code passed through, signals proxied to a plain container.
 */
import { describe, expect, test } from "bun:test";
import { Harness, isRoot, until } from "./containers-harness.ts";

const h = new Harness();

/** `bunker attach` on a pseudo-terminal of its own (as from an interactive shell) */
function attachOnTerminal(args: string[]) {
  let out = "";
  const proc = Bun.spawn(h.argv(["attach", ...args]), {
    env: h.env(),
    terminal: { cols: 100, rows: 30, data: (_t, d) => void (out += new TextDecoder().decode(d)) },
  });
  return { proc, output: () => out, type: (s: string) => proc.terminal!.write(s) };
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
    expect(await until(() => a.output().includes("mark-42"))).toBe(true);
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

  test("signals to attach are proxied to a plain container (--sig-proxy, on by default)", async () => {
    await h.ok(["run", "-d", "--name", "sig", "busybox", "sh", "-c", "trap 'echo got-term; exit 5' TERM; while true; do sleep 0.1; done"]);
    const a = attachPiped(["sig"]);
    await Bun.sleep(500);
    a.proc.kill("SIGTERM");
    const r = await a.done();
    expect([r.code, r.out]).toEqual([5, "got-term\n"]);
  });
});
