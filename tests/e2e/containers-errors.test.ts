/**
 * Bad input and error paths of the container commands, checked against what Docker (28 CLI) answers for
 * the same command line: the exit code (125 engine error, 126 not executable / exec start failure, 127
 * not found, 1 for a refused request, 64 for an inspect template that does not parse), the substance of
 * the message, and that a refused command leaves nothing behind (the harness checks processes,
 * cgroups and mounts after each test).
 */
import { describe, expect, test } from "bun:test";
import { Harness, type Run } from "./containers-harness.ts";

const h = new Harness();
const DAEMON = "Error response from daemon: ";
// a registry on a closed loopback port: a pull fails without traffic leaving the machine
const MISSING_IMAGE = "127.0.0.1:1/nosuch:1";

/** the exit code, and the message's substance somewhere in stderr (the whole answer shown on failure) */
function expectRun(r: Run, code: number, message: string): void {
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringContaining(message) });
}

async function running(name: string): Promise<string> {
  return h.ok(["run", "-d", "--name", name, "busybox", "sleep", "1000"]);
}

async function exited(name: string): Promise<string> {
  const id = await h.ok(["run", "-d", "--name", name, "busybox", "true"]);
  await h.ok(["wait", name]);
  return id;
}

describe("containers: bad input and error paths", () => {
  h.useInSuite();

  test("run/create refuse bad flags with Docker's codes (run 125; create 125 for its own checks, 1 for the daemon's) and create nothing", async () => {
    const cases: Array<[string[], number, string]> = [
      [["run", "--rm", MISSING_IMAGE], 125, `Unable to find image '${MISSING_IMAGE}' locally`],
      [["create", MISSING_IMAGE], 1, `Unable to find image '${MISSING_IMAGE}' locally`],
      [["run", "--pull", "never", "nosuch:1"], 125, `${DAEMON}No such image: nosuch:1`],
      [["create", "--pull", "never", "nosuch:1"], 1, `${DAEMON}No such image: nosuch:1`],
      [["run", "--rm", "-m", "foo", "busybox", "true"], 125, `invalid argument "foo" for "-m, --memory" flag: invalid size: 'foo'`],
      [["create", "-m", "foo", "busybox", "true"], 125, `invalid argument "foo" for "-m, --memory" flag: invalid size: 'foo'`],
      [["run", "--rm", "-m", "1k", "busybox", "true"], 125, `${DAEMON}Minimum memory limit allowed is 6MB`],
      [["create", "-m", "1k", "busybox", "true"], 1, `${DAEMON}Minimum memory limit allowed is 6MB`],
      [["run", "--rm", "--cpus", "-1", "busybox", "true"], 125, `${DAEMON}range of CPUs is from 0.01 to`],
      [["run", "--rm", "--cpus", "abc", "busybox", "true"], 125, `invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number`],
      [["run", "--rm", "-c", "x", "busybox", "true"], 125, `invalid argument "x" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "x": invalid syntax`],
      [["run", "--rm", "--stop-timeout", "x", "busybox", "true"], 125, `invalid argument "x" for "--stop-timeout" flag`],
      [["run", "--restart", "bogus", "busybox", "true"], 125, `${DAEMON}invalid restart policy: unknown policy 'bogus'`],
      [["create", "--restart", "bogus", "busybox", "true"], 1, `${DAEMON}invalid restart policy: unknown policy 'bogus'`],
      [["create", "--restart", "on-failure:x", "busybox"], 125, "invalid restart policy format: maximum retry count must be an integer"],
      [["run", "--restart", "always", "--rm", "busybox", "true"], 125, "conflicting options: cannot specify both --restart and --rm"],
      [["create", "--restart", "always", "--rm", "busybox", "true"], 125, "conflicting options: cannot specify both --restart and --rm"],
      [["run", "--rm", "-p", "8080:80", "busybox", "true"], 125, "-p, --publish: publishing ports is not supported"],
      [["run", "--rm", "--bogus", "busybox", "true"], 125, "unknown flag: --bogus\n\nUsage:  bunker run [OPTIONS] IMAGE [COMMAND] [ARG...]"],
      [["run", "--rm", "-e", "", "busybox", "true"], 125, `invalid argument "" for "-e, --env" flag: invalid environment variable: `],
      [["run", "--rm", "-l", "", "busybox", "true"], 125, `invalid argument "" for "-l, --label" flag: invalid label '': empty name`],
      [["run", "--rm", "--log-driver", "syslog", "busybox", "true"], 125, `${DAEMON}failed to initialize logging driver: logging driver "syslog" is not supported`],
      [["run", "--rm", "--security-opt", "bogus", "busybox", "true"], 125, `Invalid --security-opt: "bogus"`],
      [["create", "--name", "bad/name", "busybox"], 1, `${DAEMON}Invalid container name (bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`],
      [["create", "--entrypoint", "", "busybox"], 1, `${DAEMON}No command specified`],
      [["run", "--rm", "-w", "rel", "busybox", "true"], 125, `${DAEMON}the working directory 'rel' is invalid, it needs to be an absolute path`],
    ];
    for (const [args, code, message] of cases) {
      const r = await h.bunker(args);
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code, stdout: "", stderr: expect.stringContaining(message) });
    }
    // the CLI's own refusals are not the daemon's
    expect((await h.bunker(["run", "--pull", "bogus", "busybox", "true"])).stderr).toBe(`invalid pull option: 'bogus': must be one of "always", "missing" or "never"\n`);
    expect(await h.ok(["ps", "-aq"])).toBe("");
  });

  test("a command that cannot start: 127 not found, 126 not executable; a detached one prints its id and stays Created", async () => {
    expectRun(await h.bunker(["run", "--rm", "busybox", "/nonexistent"]), 127, `${DAEMON}failed to create task for container: unable to start container process: exec: "/nonexistent": stat /nonexistent: no such file or directory`);
    expectRun(await h.bunker(["run", "--rm", "busybox", "nosuchcmd"]), 127, 'exec: "nosuchcmd": executable file not found in $PATH');
    expectRun(await h.bunker(["run", "--rm", "busybox", "/etc/passwd"]), 126, 'exec: "/etc/passwd": permission denied');
    expectRun(await h.bunker(["run", "--rm", "busybox", "/etc"]), 126, 'exec: "/etc"');
    expect(await h.ok(["ps", "-aq"])).toBe("");
    const d = await h.bunker(["run", "-d", "--name", "d1", "busybox", "/nonexistent"]);
    expect(d.code).toBe(127);
    expect(d.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(await h.ok(["inspect", "-f", "{{.Id}} {{.State.Status}} {{.State.ExitCode}}", "d1"])).toBe(`${d.stdout.trim()} created 127`);
    const gone = await h.bunker(["run", "-d", "--rm", "busybox", "/nonexistent"]);
    expect(gone.code).toBe(127);
    expect(await h.ok(["ps", "-aq", "--no-trunc"])).toBe(d.stdout.trim());
  });

  test("a working dir that is a file: run 125 and create 1 with the daemon's 'Cannot mkdir', nothing created; start and exec fail too", async () => {
    const notDir = `${DAEMON}Cannot mkdir: /etc/passwd is not a directory\n`;
    expect(await h.bunker(["run", "--rm", "-w", "/etc/passwd", "busybox", "true"])).toEqual({ code: 125, stdout: "", stderr: notDir });
    expect(await h.bunker(["run", "-d", "-w", "/etc/passwd/", "busybox", "true"])).toEqual({ code: 125, stdout: "", stderr: notDir });
    expect(await h.bunker(["create", "-w", "/etc/../etc/passwd", "busybox", "true"])).toEqual({ code: 1, stdout: "", stderr: notDir });
    // a symlink is followed: busybox's /bin/sh is a link to the binary
    expectRun(await h.bunker(["run", "--rm", "-w", "/bin/sh", "busybox", "true"]), 125, `${DAEMON}Cannot mkdir: /bin/sh is not a directory`);
    expect(await h.ok(["ps", "-aq"])).toBe("");
    // stored as the daemon cleans it; a missing one is made at start
    await h.ok(["create", "--name", "wd", "-w", "/tmp/../srv/new/", "busybox", "pwd"]);
    expect(await h.ok(["inspect", "-f", "{{.Config.WorkingDir}}", "wd"])).toBe("/srv/new");
    expect(await h.bunker(["start", "-a", "wd"])).toEqual({ code: 0, stdout: "/srv/new\n", stderr: "" });
    // made a file since create: the next start is refused the same way (Docker's start-time check)
    await h.ok(["create", "--name", "cw", "-w", "/w", "busybox", "sh", "-c", "cd / && rmdir /w && echo x > /w"]);
    expect((await h.bunker(["start", "-a", "cw"])).code).toBe(0);
    expectRun(await h.bunker(["start", "-a", "cw"]), 1, "Cannot mkdir: /w is not a directory");
    // a failed start that is neither "not found" nor "cannot execute": the daemon records 128
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "cw"])).toBe("exited 128");
    // exec keeps runc's chdir failure (126), as Docker's does
    await running("r1");
    expectRun(await h.bunker(["exec", "-w", "/etc/passwd", "r1", "true"]), 126, 'chdir to cwd ("/etc/passwd") set in config.json failed: not a directory');
  });

  test("-i and -t with no terminal on stdin: run and exec refuse as Docker's CLI does (1, before anything is made); -t alone gets a pty", async () => {
    const noTty = { code: 1, stdout: "", stderr: "the input device is not a TTY\n" };
    expect(await h.bunker(["run", "--rm", "-it", "busybox", "true"])).toEqual(noTty);
    expect(await h.bunker(["run", "--rm", "-t", "-a", "stdin", "busybox", "true"])).toEqual(noTty);
    // after the flag checks, before the image is looked for
    expect(await h.bunker(["run", "-it", MISSING_IMAGE])).toEqual(noTty);
    expectRun(await h.bunker(["run", "-it", "--restart", "always", "--rm", "busybox", "true"]), 125, "conflicting options: cannot specify both --restart and --rm");
    expect(await h.ok(["ps", "-aq"])).toBe("");
    expect(await h.ok(["run", "--rm", "-t", "busybox", "tty"])).toStartWith("/dev/pts/");
    // detached, or only created: nothing of ours is attached to the container's terminal
    await h.ok(["run", "-dit", "--name", "it", "busybox", "sh"]);
    await h.ok(["create", "-it", "--name", "cit", "busybox", "sh"]);
    // exec: an unknown container is reported first, then the terminal, then the container's state
    expect(await h.bunker(["exec", "-it", "nosuch", "true"])).toEqual({ code: 1, stdout: "", stderr: `${DAEMON}No such container: nosuch\n` });
    expect(await h.bunker(["exec", "-it", "it", "true"])).toEqual(noTty);
    expect(await h.bunker(["exec", "-it", "cit", "true"])).toEqual(noTty);
    expect(await h.ok(["exec", "-t", "it", "tty"])).toStartWith("/dev/pts/");
    expect(await h.bunker(["exec", "-dit", "it", "true"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await h.ok(["exec", "-i", "it", "echo", "ok"])).toBe("ok");
  });

  test("start of a container whose command is missing: exit 1, with or without -a; the error is on record", async () => {
    await h.ok(["create", "--name", "c1", "busybox", "/nonexistent"]);
    const s = await h.bunker(["start", "c1"]);
    expect(s.code).toBe(1);
    expect(s.stderr).toBe(`${DAEMON}failed to create task for container: unable to start container process: exec: "/nonexistent": stat /nonexistent: no such file or directory\nError: failed to start containers: c1\n`);
    const a = await h.bunker(["start", "-a", "c1"]);
    expectRun(a, 1, 'exec: "/nonexistent"');
    expect(await h.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "c1"])).toBe("created 127");
    expect((await h.ok(["inspect", "-f", "{{.State.Error}}", "c1"]))).toContain('exec: "/nonexistent"');
    // only the names that failed are listed
    await exited("s1");
    const many = await h.bunker(["start", "s1", "nosuch"]);
    expect(many).toMatchObject({ code: 1, stdout: "s1\n", stderr: `${DAEMON}No such container: nosuch\nError: failed to start containers: nosuch\n` });
  });

  test("a name in use: create exits 1, run 125, both with Docker's conflict line", async () => {
    const id = await h.ok(["create", "--name", "xx", "busybox"]);
    const conflict = `${DAEMON}Conflict. The container name "/xx" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`;
    expect(await h.bunker(["create", "--name", "xx", "busybox"])).toEqual({ code: 1, stdout: "", stderr: conflict });
    expect(await h.bunker(["run", "--name", "xx", "busybox", "true"])).toEqual({ code: 125, stdout: "", stderr: conflict });
    expect(await h.ok(["ps", "-aq", "--no-trunc"])).toBe(id);
  });

  test("a missing container: every verb answers the daemon's 'No such container' with exit 1", async () => {
    const nf = `${DAEMON}No such container: nosuch\n`;
    for (const args of [
      ["rm", "nosuch"], ["stop", "nosuch"], ["restart", "nosuch"], ["pause", "nosuch"], ["unpause", "nosuch"], ["wait", "nosuch"],
      ["logs", "nosuch"], ["top", "nosuch"], ["stats", "--no-stream", "nosuch"], ["update", "-m", "64m", "nosuch"],
      ["exec", "nosuch", "true"], ["diff", "nosuch"], ["container", "inspect", "nosuch"],
    ]) {
      const r = await h.bunker(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 1, stderr: nf });
    }
    expect(await h.bunker(["kill", "nosuch"])).toMatchObject({ code: 1, stderr: `${DAEMON}cannot kill container: nosuch: No such container: nosuch\n` });
    expect(await h.bunker(["inspect", "nosuch"])).toEqual({ code: 1, stdout: "[]\n", stderr: "Error: No such object: nosuch\n" });
    expect(await h.bunker(["rename", "nosuch", "zz"])).toEqual({ code: 1, stdout: "", stderr: `${nf}Error: failed to rename container named nosuch\n` });
    // several names: the others are done, the missing one reported; rm -f counts a missing one as done
    await h.ok(["create", "--name", "aa", "busybox"]);
    await h.ok(["create", "--name", "bb", "busybox"]);
    expect(await h.bunker(["rm", "-f", "aa", "nosuch", "bb"])).toEqual({ code: 0, stdout: "aa\nbb\n", stderr: nf });
    expect(await h.ok(["ps", "-aq"])).toBe("");
    await h.ok(["create", "--name", "aa", "busybox"]);
    await h.ok(["create", "--name", "bb", "busybox"]);
    expect(await h.bunker(["rm", "aa", "nosuch", "bb"])).toEqual({ code: 1, stdout: "aa\nbb\n", stderr: nf });
    await exited("s1");
    expect(await h.bunker(["wait", "s1", "nosuch"])).toEqual({ code: 1, stdout: "0\n", stderr: nf });
  });

  test("verbs refused by the container's state: exit 1 and the daemon's words", async () => {
    const r1 = await running("r1");
    const s1 = await exited("s1");
    await running("p1");
    await h.ok(["pause", "p1"]);
    const p1 = await h.ok(["inspect", "-f", "{{.Id}}", "p1"]);
    const cases: Array<[string[], string]> = [
      [["rm", "r1"], `${DAEMON}cannot remove container "/r1": container is running: stop the container before removing or force remove`],
      // moby 28 checks the signal before the container and its router wraps the answer (20.10 said
      // "Cannot kill container: r1: The linux daemon does not support signal 999")
      [["kill", "-s", "BOGUS", "r1"], `${DAEMON}cannot kill container: r1: Invalid signal: BOGUS`],
      [["kill", "-s", "999", "r1"], `${DAEMON}cannot kill container: r1: the linux daemon does not support signal 999`],
      [["kill", "-s", "32", "r1"], `${DAEMON}cannot kill container: r1: the linux daemon does not support signal 32`],
      [["kill", "-s", "0", "r1"], `${DAEMON}cannot kill container: r1: Invalid signal: 0`],
      [["kill", "-s", "999", "nosuch"], `${DAEMON}cannot kill container: nosuch: the linux daemon does not support signal 999`],
      [["kill", "s1"], `${DAEMON}cannot kill container: s1: container ${s1} is not running`],
      [["pause", "s1"], `${DAEMON}container ${s1} is not running`],
      [["pause", "p1"], `${DAEMON}container ${p1} is already paused`],
      [["unpause", "r1"], `${DAEMON}container ${r1} is not paused`],
      [["exec", "s1", "true"], `${DAEMON}Container ${s1} is not running`],
      [["exec", "p1", "true"], `${DAEMON}Container p1 is paused, unpause the container before exec`],
      [["top", "s1"], `${DAEMON}container ${s1} is not running`],
      [["start", "p1"], `${DAEMON}cannot start a paused container, try unpause instead`],
    ];
    for (const [args, message] of cases) {
      const r = await h.bunker(args);
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr.split("\n")[0] }).toEqual({ args, code: 1, stdout: "", stderr: message });
    }
    expect(await h.bunker(["stop", "-t", "x", "r1"])).toMatchObject({ code: 125, stderr: expect.stringContaining(`invalid argument "x" for "-t, --timeout" flag`) });
    expect(await h.bunker(["top", "r1", "-eo", "pid"])).toMatchObject({ code: 1, stderr: expect.stringContaining("ps options are not supported") });
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "r1", "p1", "s1"])).toBe("running\npaused\nexited");
    // a number is taken as Go's Atoi reads it (sign, leading zeros): 28 is SIGWINCH, which sleep ignores
    expect(await h.ok(["kill", "-s", "+28", "r1"])).toBe("r1");
    expect(await h.ok(["kill", "-s", "0028", "r1"])).toBe("r1");
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "r1"])).toBe("running");
    // Docker's long name, and its older spelling, of stop's -t
    expect(await h.ok(["stop", "--timeout", "1", "r1"])).toBe("r1");
    expect(await h.ok(["restart", "--time", "1", "r1"])).toBe("r1");
  });

  test("exec: 126 for any command that cannot start (Docker's daemon), 1 for -d, the program's own status otherwise", async () => {
    await running("r1");
    expectRun(await h.bunker(["exec", "r1", "/nonexistent"]), 126, 'exec: "/nonexistent": stat /nonexistent: no such file or directory');
    expectRun(await h.bunker(["exec", "r1", "nosuchcmd"]), 126, 'exec: "nosuchcmd": executable file not found in $PATH');
    expectRun(await h.bunker(["exec", "r1", "/etc"]), 126, 'exec: "/etc"');
    expectRun(await h.bunker(["exec", "-u", "nosuchuser", "r1", "true"]), 126, "unable to find user nosuchuser: no matching entries in passwd file");
    expectRun(await h.bunker(["exec", "-w", "rel", "r1", "true"]), 126, "the working directory 'rel' is invalid");
    expectRun(await h.bunker(["exec", "-d", "r1", "/nonexistent"]), 1, `${DAEMON}unable to start container process: exec: "/nonexistent"`);
    expectRun(await h.bunker(["exec", "-e", "", "r1", "true"]), 125, `invalid argument "" for "-e, --env" flag`);
    expectRun(await h.bunker(["exec", "r1"]), 1, "'bunker exec' requires at least 2 arguments\n\nUsage:  bunker exec [OPTIONS] CONTAINER COMMAND [ARG...]");
    expect((await h.bunker(["exec", "r1", "sh", "-c", "exit 3"])).code).toBe(3);
  });

  test("inspect: a template that does not parse is 64 before any lookup; --type picks the kind and its own not-found line", async () => {
    await exited("s1");
    expect(await h.bunker(["inspect", "-f", "{{", "s1"])).toEqual({ code: 64, stdout: "", stderr: "template parsing error: template: :1: unclosed action\n" });
    expect(await h.bunker(["container", "inspect", "-f", "{{.Name", "s1"])).toEqual({ code: 64, stdout: "", stderr: "template parsing error: template: :1: unclosed action\n" });
    expect(await h.bunker(["inspect", "-f", "{{.Bogus}}", "s1"])).toMatchObject({ code: 1, stderr: 'template parsing error: template: :1:2: executing "" at <.Bogus>: map has no entry for key "Bogus"\n' });
    expect(await h.bunker(["inspect", "-f", "{{.Name}}", "s1", "nosuch"])).toEqual({ code: 1, stdout: "/s1\n", stderr: "Error: No such object: nosuch\n" });
    const bogus = await h.bunker(["inspect", "--type", "bogus", "s1"]);
    expect(bogus).toMatchObject({ code: 1, stdout: "", stderr: expect.stringContaining('unknown type: "bogus": must be one of "config", "container", "image"') });
    expect(await h.bunker(["inspect", "--type", "container", "nosuch"])).toEqual({ code: 1, stdout: "[]\n", stderr: `${DAEMON}No such container: nosuch\n` });
    expect(await h.bunker(["inspect", "--type", "image", "s1"])).toEqual({ code: 1, stdout: "[]\n", stderr: `${DAEMON}No such image: s1:latest\n` });
    expect(await h.bunker(["inspect", "--type", "volume", "s1"])).toEqual({ code: 1, stdout: "[]\n", stderr: `${DAEMON}get s1: no such volume\n` });
    expect(await h.ok(["inspect", "--type", "image", "-f", "{{.RepoTags}}", "busybox"])).toBe("[busybox:latest]");
  });

  test("rename and update: the daemon's refusals, exit 1, nothing changed", async () => {
    await exited("s1");
    const r1 = await running("r1");
    const conflict = await h.bunker(["rename", "s1", "r1"]);
    expect(conflict).toEqual({
      code: 1,
      stdout: "",
      stderr: `${DAEMON}Error when allocating new name: Conflict. The container name "/r1" is already in use by container "${r1}". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named s1\n`,
    });
    expect(await h.bunker(["rename", "s1", "bad/name"])).toMatchObject({ code: 1, stderr: `${DAEMON}Error when allocating new name: Invalid container name (/bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named s1\n` });
    expect(await h.bunker(["rename", "s1", "s1"])).toMatchObject({ code: 1, stderr: expect.stringContaining(`${DAEMON}Renaming a container with the same name as its current name`) });
    expect(await h.ok(["ps", "-a", "--format", "{{.Names}}"])).toBe("r1\ns1");

    expect(await h.bunker(["update", "s1"])).toEqual({ code: 1, stdout: "", stderr: "you must provide one or more flags when using this command\n" });
    expect(await h.bunker(["update", "-m", "1k", "s1"])).toEqual({ code: 1, stdout: "", stderr: `${DAEMON}Minimum memory limit allowed is 6MB\n` });
    expect(await h.bunker(["update", "-m", "1k", "r1"])).toEqual({ code: 1, stdout: "", stderr: `${DAEMON}Minimum memory limit allowed is 6MB\n` });
    expect(await h.bunker(["update", "--cpus", "-1", "s1"])).toMatchObject({ code: 1, stderr: expect.stringContaining(`${DAEMON}range of CPUs is from 0.01 to`) });
    expect(await h.bunker(["update", "--restart", "bogus", "s1"])).toMatchObject({ code: 1, stderr: expect.stringContaining(`${DAEMON}invalid restart policy: unknown policy 'bogus'`) });
    expect(await h.bunker(["update", "-m", "foo", "s1"])).toMatchObject({ code: 125, stderr: expect.stringContaining(`invalid argument "foo" for "-m, --memory" flag`) });
    expect(await h.ok(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}", "s1", "r1"])).toBe("0 0 no\n0 0 no");
    const rm = await h.ok(["run", "-d", "--rm", "--name", "rr", "busybox", "sleep", "1000"]);
    expect(await h.bunker(["update", "--restart", "always", "rr"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `${DAEMON}Cannot update container ${rm}: Restart policy cannot be updated because AutoRemove is enabled for the container\n`,
    });
    // a valid update still works
    expect(await h.ok(["update", "-m", "64m", "s1"])).toBe("s1");
  });

  test("update -m alone keeps the swap limit run -m set (2x) and refuses a memory limit above it", async () => {
    await h.ok(["create", "--name", "sw", "-m", "64m", "busybox", "true"]);
    const swap = () => h.ok(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}", "sw"]);
    expect(await swap()).toBe(`${64 << 20} ${128 << 20}`);
    const id = await h.ok(["inspect", "-f", "{{.Id}}", "sw"]);
    expect(await h.bunker(["update", "-m", "256m", "sw"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `${DAEMON}Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n`,
    });
    expect(await swap()).toBe(`${64 << 20} ${128 << 20}`);
    expect(await h.ok(["update", "-m", "100m", "sw"])).toBe("sw");
    expect(await swap()).toBe(`${100 << 20} ${128 << 20}`);
    expect(await h.ok(["update", "-m", "256m", "--memory-swap", "512m", "sw"])).toBe("sw");
    expect(await swap()).toBe(`${256 << 20} ${512 << 20}`);
  });

  test("ps and prune: filter and --format errors are the CLI's or the daemon's, as in Docker", async () => {
    expect(await h.bunker(["ps", "--filter", "bogus=1"])).toEqual({ code: 1, stdout: "", stderr: `${DAEMON}invalid filter 'bogus'\n` });
    expect(await h.bunker(["ps", "--filter", "noequals"])).toMatchObject({ code: 125, stderr: expect.stringContaining(`invalid argument "noequals" for "-f, --filter" flag: bad format of filter (expected name=value)`) });
    expect(await h.bunker(["container", "prune", "-f", "--filter", "noequals"])).toMatchObject({ code: 125, stderr: expect.stringContaining(`invalid argument "noequals" for "--filter" flag`) });
    expect(await h.bunker(["ps", "-n", "x"])).toMatchObject({ code: 125, stderr: expect.stringContaining(`invalid argument "x" for "-n, --last" flag`) });
    // checked before listing, so even with no container to show
    const bad = 'failed to execute template: template: :1:2: executing "" at <.Bogus>: can\'t evaluate field Bogus in type *formatter.ContainerContext\n';
    expect(await h.bunker(["ps", "-a", "--format", "{{.Bogus}}"])).toEqual({ code: 1, stdout: "", stderr: bad });
    expect(await h.bunker(["ps", "--format", "{{.Names"])).toEqual({ code: 1, stdout: "", stderr: "failed to parse template: template: :1: unclosed action\n" });
    expect(await h.bunker(["container", "prune", "-f"])).toEqual({ code: 0, stdout: "Total reclaimed space: 0B\n", stderr: "" });
    const gone = await exited("s1");
    await running("r1");
    expect(await h.ok(["ps", "-a", "--format", "{{.Names}} {{.Label \"x\"}}"])).toBe("r1 \ns1");
    expect(await h.bunker(["stats", "--no-stream", "--format", "{{.Bogus}}", "s1"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'template parsing error: template: :1:2: executing "" at <.Bogus>: can\'t evaluate field Bogus in type *container.statsContext\n',
    });
    expect(await h.bunker(["container", "prune", "-f"])).toEqual({ code: 0, stdout: `Deleted Containers:\n${gone}\n\nTotal reclaimed space: 0B\n`, stderr: "" });
    expect(await h.ok(["ps", "-a", "--format", "{{.Names}}"])).toBe("r1");
  });

  test("create --rm is accepted (the container goes when it ends); unknown commands are errors, a bare group is its help", async () => {
    await h.ok(["create", "--rm", "--name", "once", "busybox", "true"]);
    expect(await h.ok(["inspect", "-f", "{{.HostConfig.AutoRemove}}", "once"])).toBe("true");
    expect((await h.bunker(["start", "-a", "once"])).code).toBe(0);
    expect(await h.ok(["ps", "-aq"])).toBe("");
    expect(await h.bunker(["bogus"])).toEqual({ code: 1, stdout: "", stderr: "bunker: unknown command: bunker bogus\n\nRun 'bunker --help' for more information\n" });
    expect(await h.bunker(["container", "bogus"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "bunker: unknown command: bunker container bogus\n\nUsage:  bunker container\n\nRun 'bunker container --help' for more information\n",
    });
    const group = await h.bunker(["container"]);
    expect(group.code).toBe(0);
    expect(group.stdout).toStartWith("Usage:  bunker container COMMAND");
  });
});
