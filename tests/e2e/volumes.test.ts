/**
 * `bunker volume ...` through the CLI from source, on a temp root: create/ls/inspect/rm/prune with labels
 * and filters, tmpfs-backed local volumes mounted and unmounted, refusal while a container record uses a
 * volume, Docker's wording for bad input. Each test leaves no mount and no temp dir behind.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BUN = join(import.meta.dir, "../../node_modules/.bin/bun");
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
let tmp = "";
const root = () => join(tmp, "root");
const run = () => join(tmp, "run");

function bunker(args: string[], stdin?: string) {
  const p = Bun.spawnSync([BUN, MAIN, "--root", root(), "--run-root", run(), ...args], {
    stdin: stdin === undefined ? "ignore" : Buffer.from(stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(dir));
}

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "bunker-test-volumes-"));
});
afterEach(() => {
  // unmount anything a failed test left (deepest first), then delete
  for (const m of mountsUnder(tmp).sort().reverse()) Bun.spawnSync(["umount", "-l", m]);
  rmSync(tmp, { recursive: true, force: true });
});

/** a container record that mounts `names`, as run will write it */
function fakeContainer(names: string[]): string {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  const dir = join(root(), "containers", id);
  mkdirSync(dir, { recursive: true });
  const Mounts = names.map((n) => ({ Type: "volume", Name: n, Source: join(root(), "volumes", n, "_data"), Destination: `/${n}`, Driver: "local", Mode: "", RW: true, Propagation: "" }));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ Id: id, Mounts }));
  return id;
}

test("create prints the name, is idempotent, and makes a random 64-hex name when none is given", () => {
  expect(bunker(["volume", "create", "v1"])).toEqual({ code: 0, out: "v1\n", err: "" });
  expect(bunker(["volume", "create", "v1"])).toEqual({ code: 0, out: "v1\n", err: "" });
  const r = bunker(["volume", "create"]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^[0-9a-f]{64}\n$/);
  expect(existsSync(join(root(), "volumes", "v1", "_data"))).toBe(true);
  // nothing half-built stays around
  expect(readdirSync(join(root(), "volumes")).filter((n) => n.startsWith("."))).toEqual([]);
});

test("invalid names, options and drivers get Docker's errors", () => {
  expect(bunker(["volume", "create", "bad/name"])).toEqual({
    code: 1,
    out: "",
    err: `Error response from daemon: create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n`,
  });
  expect(bunker(["volume", "create", "a"]).err).toBe("Error response from daemon: create a: volume name is too short, names should be at least two alphanumeric characters\n");
  expect(bunker(["volume", "create", "-o", "foo=bar", "v1"]).err).toBe(`Error response from daemon: create v1: invalid option: "foo"\n`);
  expect(bunker(["volume", "create", "-o", "type=tmpfs", "v1"]).err).toBe(`Error response from daemon: create v1: missing required option: "device"\n`);
  expect(bunker(["volume", "create", "-d", "foo", "v2"]).err).toBe(`Error response from daemon: create v2: error looking up volume plugin foo: plugin "foo" not found\n`);
  expect(existsSync(join(root(), "volumes", "v1"))).toBe(false);
});

test("inspect shows Docker's fields; a missing volume prints [] and an error", () => {
  bunker(["volume", "create", "--label", "a=b", "--label", "c", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "lv"]);
  const r = bunker(["volume", "inspect", "lv"]);
  expect(r.code).toBe(0);
  const [v] = JSON.parse(r.out);
  expect(Object.keys(v)).toEqual(["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"]);
  expect(v).toMatchObject({ Driver: "local", Labels: { a: "b", c: "" }, Mountpoint: join(root(), "volumes", "lv", "_data"), Name: "lv", Options: { type: "tmpfs", device: "tmpfs", o: "size=1m" }, Scope: "local" });
  expect(v.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(r.out).toStartWith("[\n    {\n        \"CreatedAt\"");
  expect(bunker(["volume", "inspect", "nope"])).toEqual({ code: 1, out: "[]\n", err: "Error: No such volume: nope\n" });
  expect(bunker(["volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Labels.a}}", "lv"]).out).toBe("lv local b\n");
});

test("ls: table, -q, filters (dangling, name, label, driver) and --format", () => {
  for (const n of ["vol10", "vol2", "used"]) bunker(["volume", "create", n]);
  bunker(["volume", "create", "--label", "env=prod", "--label", "tier", "lab"]);
  fakeContainer(["used"]);
  expect(bunker(["volume", "ls"]).out).toBe("DRIVER    VOLUME NAME\nlocal     lab\nlocal     used\nlocal     vol2\nlocal     vol10\n");
  expect(bunker(["volume", "list", "-q"]).out).toBe("lab\nused\nvol2\nvol10\n");
  expect(bunker(["volume", "ls", "-q", "--filter", "dangling=true"]).out).toBe("lab\nvol2\nvol10\n");
  expect(bunker(["volume", "ls", "-q", "-f", "dangling=false"]).out).toBe("used\n");
  expect(bunker(["volume", "ls", "-q", "--filter", "name=vol"]).out).toBe("vol2\nvol10\n");
  expect(bunker(["volume", "ls", "-q", "--filter", "label=env=prod"]).out).toBe("lab\n");
  expect(bunker(["volume", "ls", "-q", "--filter", "label=tier"]).out).toBe("lab\n");
  expect(bunker(["volume", "ls", "-q", "--filter", "label=env=dev"]).out).toBe("");
  expect(bunker(["volume", "ls", "-q", "--filter", "driver=local", "--filter", "name=used"]).out).toBe("used\n");
  expect(bunker(["volume", "ls", "--format", "{{.Name}}:{{.Labels}}", "--filter", "name=lab"]).out).toBe("lab:env=prod,tier=\n");
  expect(bunker(["volume", "ls", "--format", "table {{.Name}}\t{{.Driver}}", "--filter", "name=lab"]).out).toBe("VOLUME NAME   DRIVER\nlab           local\n");
  expect(bunker(["volume", "ls", "--format", '{{.Label "env"}}/{{.Label "nope"}}', "--filter", "name=lab"]).out).toBe("prod/\n");
  expect(bunker(["volume", "ls", "--format", "{{.Foo}}", "--filter", "name=lab"])).toMatchObject({
    code: 1,
    err: expect.stringContaining(`template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type *formatter.volumeContext`),
  });
  expect(bunker(["volume", "inspect", "-f", "{{.Labels.env}} {{.Labels.nope}} {{.Options}}", "lab"]).out).toBe("prod <no value> map[]\n");
  const j = JSON.parse(bunker(["volume", "ls", "--format", "json", "--filter", "name=used"]).out);
  expect(j).toMatchObject({ Name: "used", Driver: "local", Scope: "local", Mountpoint: join(root(), "volumes", "used", "_data") });
  expect(bunker(["volume", "ls", "--filter", "dangling=x"])).toMatchObject({ code: 1, err: "Error response from daemon: Invalid filter 'dangling=[x]'\n" });
  expect(bunker(["volume", "ls", "--filter", "foo=bar"])).toMatchObject({ code: 1, err: "Error response from daemon: Invalid filter 'foo'\n" });
});

test("rm: several at once, refuses a volume in use, -f ignores missing ones", () => {
  for (const n of ["r1", "r2", "busy"]) bunker(["volume", "create", n]);
  const id = fakeContainer(["busy"]);
  expect(bunker(["volume", "rm", "r1", "r2"])).toEqual({ code: 0, out: "r1\nr2\n", err: "" });
  expect(bunker(["volume", "rm", "busy"])).toEqual({ code: 1, out: "", err: `Error response from daemon: remove busy: volume is in use - [${id}]\n` });
  expect(bunker(["volume", "rm", "-f", "busy"]).code).toBe(1);
  expect(bunker(["volume", "rm", "nope"])).toEqual({ code: 1, out: "", err: "Error: No such volume: nope\n" });
  expect(bunker(["volume", "remove", "-f", "nope"])).toEqual({ code: 0, out: "nope\n", err: "" });
  rmSync(join(root(), "containers", id), { recursive: true });
  expect(bunker(["volume", "rm", "busy"]).out).toBe("busy\n");
  expect(readdirSync(join(root(), "volumes"))).toEqual([]);
});

test("prune: anonymous unused volumes by default, all unused with -a, reports the reclaimed size", async () => {
  bunker(["volume", "create", "named"]);
  bunker(["volume", "create", "--label", "com.docker.volume.anonymous=", "anon1"]);
  bunker(["volume", "create", "--label", "com.docker.volume.anonymous=", "anon2"]);
  fakeContainer(["anon2"]);
  writeFileSync(join(root(), "volumes", "anon1", "_data", "f"), "x".repeat(1500));
  // no terminal and no answer: nothing is removed
  const asked = bunker(["volume", "prune"]);
  expect(asked.out).toBe("WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ");
  expect(existsSync(join(root(), "volumes", "anon1"))).toBe(true);
  expect(bunker(["volume", "prune"], "y\n").out).toEndWith("Deleted Volumes:\nanon1\n\nTotal reclaimed space: 1.5kB\n");
  expect(bunker(["volume", "prune", "-f"]).out).toBe("Total reclaimed space: 0B\n");
  expect(bunker(["volume", "prune", "-a", "-f"]).out).toBe("Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n");
  expect(bunker(["volume", "ls", "-q"]).out).toBe("anon2\n");
});

test("a tmpfs-backed local volume is mounted while used and unmounted after, and on rm", async () => {
  bunker(["volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m,mode=0700,nodev", "tv"]);
  const data = join(root(), "volumes", "tv", "_data");
  const script = (fn: string, id: string) =>
    Bun.spawnSync([BUN, "-e", `import("${join(import.meta.dir, "../../src/engine/volumes/index.ts")}").then(m => m.${fn}("tv", "${id}"))`], {
      env: { ...process.env, BUNKER_ROOT: root(), BUNKER_RUN: run() }, stderr: "pipe",
    });
  // records for the two users: an active user without a record counts as crash debris
  const a = fakeContainer([]);
  const b = fakeContainer([]);
  expect(script("ensureMounted", a).stderr.toString()).toBe("");
  expect(mountsUnder(data)).toEqual([data]);
  const line = readFileSync("/proc/self/mountinfo", "utf8").split("\n").find((l) => l.split(" ")[4] === data)!;
  expect(line).toContain(" - tmpfs tmpfs ");
  expect(line).toContain("size=1024k");
  expect(line).toContain("nodev");
  script("ensureMounted", b);
  expect(mountsUnder(data)).toEqual([data]); // one mount for both users
  script("releaseIfUnused", a);
  expect(mountsUnder(data)).toEqual([data]);
  script("releaseIfUnused", b);
  expect(mountsUnder(data)).toEqual([]);
  // mounted again, then removed: rm unmounts first, and nothing is left
  script("ensureMounted", a);
  writeFileSync(join(data, "on-tmpfs"), "x");
  expect(bunker(["volume", "rm", "tv"]).out).toBe("tv\n");
  expect(mountsUnder(tmp)).toEqual([]);
  expect(existsSync(join(root(), "volumes", "tv"))).toBe(false);
});

test("parallel creates of one name end in one volume; parallel anonymous creates in distinct ones", async () => {
  const spawn = (args: string[]) =>
    Bun.spawn([BUN, MAIN, "--root", root(), "--run-root", run(), ...args], { stdout: "pipe", stderr: "pipe" });
  const same = await Promise.all(Array.from({ length: 8 }, () => spawn(["volume", "create", "shared"])).map(async (p) => [await new Response(p.stdout).text(), await p.exited]));
  expect(same).toEqual(Array.from({ length: 8 }, () => ["shared\n", 0]));
  const anon = await Promise.all(Array.from({ length: 8 }, () => spawn(["volume", "create"])).map((p) => new Response(p.stdout).text()));
  expect(new Set(anon).size).toBe(8);
  expect(readdirSync(join(root(), "volumes")).length).toBe(9);
});

test("volume --help lists the commands", () => {
  const r = bunker(["volume"]);
  for (const c of ["create", "ls", "inspect", "rm", "prune"]) expect(r.out).toContain(`  ${c}`);
});
