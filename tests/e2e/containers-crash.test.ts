/**
 * Crash consistency of the container verbs. Each operation's CLI — and in the "+sup" variants every
 * supervisor of this root as well — is SIGKILLed after a delay swept over the operation's own duration
 * (measured first, so the sweep lands in start-up, in the work and at its end on any machine). After
 * every crash:
 *  - `ps -a` and `inspect` tell the truth: a container that reads as running has a live PID 1 (the
 *    process on record, in the container's cgroup); one whose processes are all gone, or that reads as
 *    created/exited, has none; Paused matches the freezer;
 *  - `rm -f` of every listed container (and of the name used) succeeds and leaves nothing: no process,
 *    mount, cgroup dir, container or run dir, name reservation or per-container lock;
 *  - the engine still works: `run --rm --name <same name> busybox true` exits 0.
 * Problems are collected over the whole sweep (the state is scrubbed after a bad case so the next one
 * starts clean) and asserted at the end of each test, so one run shows every broken moment at once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bunkerCommand, removeTree } from "../helpers/fixture.ts";
import { importBusybox } from "./containers-fixture.ts";

const CG = "/sys/fs/cgroup";
const cgParent = `bunker-crash-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
let base = "";
let root = "";
let run = "";
/** clock ticks since boot when this file started: an orphaned init younger than this is ours */
let fileStart = 0;
let serial = 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function env(): Record<string, string> {
  return { ...(process.env as Record<string, string>), BUNKER_ROOT: root, BUNKER_RUN: run, BUNKER_CGROUP_PARENT: cgParent, NO_COLOR: "1" };
}

/** a CLI call that must finish: a hang is killed after `timeoutMs` and reported as such */
async function cli(args: string[], timeoutMs = 20_000): Promise<Run> {
  const p = Bun.spawn([...bunkerCommand(), ...args], { env: env(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const all = Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  // raced rather than awaited: a process that inherited the pipes could hold them open past the CLI
  const r = await Promise.race([all, Bun.sleep(timeoutMs).then(() => null)]);
  if (r === null) {
    p.kill(9);
    return { code: -1, stdout: "", stderr: `HUNG for ${timeoutMs} ms: bunker ${args.join(" ")}` };
  }
  const [stdout, stderr, code] = r;
  return { code, stdout, stderr };
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`bunker ${args.join(" ")} → ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

// ---- what the machine says, independently of the engine ----

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** /proc/<pid>/stat: state, ppid, start time; null when gone */
function stat(pid: number): { state: string; ppid: number; start: number } | null {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return null;
  const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0]!, ppid: Number(rest[1]), start: Number(rest[19]) };
}

const alive = (pid: number) => {
  const s = stat(pid);
  return s !== null && s.state !== "Z" && s.state !== "X";
};

function ticksNow(): number {
  return Math.floor(Number(read("/proc/uptime")!.split(" ")[0]) * 100);
}

/** our parent's dir in every cgroup hierarchy (v1: one per controller, plus cgroup2's on a pure v2 host) */
const parentDirs = () => [join(CG, cgParent), ...list(CG).map((h) => join(CG, h, cgParent))].filter((d) => existsSync(d));

/** cgroup dirs left under our parent (a container's, or anything below one) */
function cgroupDirs(): string[] {
  const out: string[] = [];
  for (const d of parentDirs()) for (const c of list(d)) if (existsSync(join(d, c, "cgroup.procs"))) out.push(join(d, c));
  return out;
}

/** live (non-zombie) pids in container `id`'s cgroups, any hierarchy, child cgroups included */
function cgroupPids(id: string): number[] {
  const out = new Set<number>();
  const walk = (dir: string) => {
    for (const l of (read(join(dir, "cgroup.procs")) ?? "").split("\n")) if (/^\d+$/.test(l) && alive(Number(l))) out.add(Number(l));
    for (const c of list(dir)) if (existsSync(join(dir, c, "cgroup.procs"))) walk(join(dir, c));
  };
  for (const d of parentDirs()) walk(join(d, id));
  return [...out];
}

/** the kernel's word on paused: v1's freezer.state (FREEZING counts), or cgroup.freeze on a pure v2 host */
function frozen(id: string): boolean {
  const v1 = read(join(CG, "freezer", cgParent, id, "freezer.state"));
  if (v1 !== null) return v1.trim() !== "THAWED";
  return (read(join(CG, cgParent, id, "cgroup.freeze")) ?? "").trim() === "1";
}

/**
 * Processes of this root: supervisors (full or idle mode: they carry our BUNKER_ROOT), anything in our
 * cgroup parent, and inits (empty environment) that lost their parent (now pid 1) or whose parent is
 * one of ours, started since this file began.
 */
function ourProcesses(ids: string[] = []): string[] {
  const found = new Map<number, string>();
  const inits: Array<[number, number, string]> = [];
  for (const e of list("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || !alive(pid)) continue;
    const cmd = (read(`/proc/${pid}/cmdline`) ?? "").split("\0");
    const line = `${pid} ${cmd.join(" ").trim()}`;
    if ((read(`/proc/${pid}/cgroup`) ?? "").includes(`/${cgParent}/`) || ids.some((id) => line.includes(id))) found.set(pid, line);
    else if (cmd.some((a) => a === "__supervise" || a === "__idle") && (read(`/proc/${pid}/environ`) ?? "").split("\0").includes(`BUNKER_ROOT=${root}`)) found.set(pid, line);
    else if (cmd.some((a) => a === "__init" || a === "__reaper")) {
      const s = stat(pid);
      if (s && s.start >= fileStart) inits.push([pid, s.ppid, line]);
    }
  }
  for (const [pid, ppid, line] of inits) if (ppid === 1 || found.has(ppid)) found.set(pid, line);
  return [...found.values()];
}

function supervisors(): number[] {
  const out: number[] = [];
  for (const e of list("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = (read(`/proc/${e}/cmdline`) ?? "").split("\0");
    if (cmd.some((a) => a === "__supervise" || a === "__idle") && (read(`/proc/${e}/environ`) ?? "").split("\0").includes(`BUNKER_ROOT=${root}`)) out.push(Number(e));
  }
  return out;
}

const ourMounts = () =>
  (read("/proc/self/mountinfo") ?? "")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(`${base}/`));

// ---- the checks ----

/** ps and inspect against /proc and cgroupfs; [] when they agree */
async function truthProblems(): Promise<string[]> {
  const out: string[] = [];
  const ps = await cli(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Status}}"], 10_000);
  if (ps.code !== 0) return [`ps -a failed (${ps.code}): ${ps.stderr.trim()}`];
  for (const line of ps.stdout.split("\n").filter(Boolean)) {
    const id = line.slice(0, 64);
    const status = line.slice(65);
    const ins = await cli(["inspect", "--format", "{{json .State}}", id], 10_000);
    if (ins.code !== 0) {
      // removed in between (an --rm container's supervisor finishing): not a lie
      if (ins.stderr.includes("No such container")) continue;
      out.push(`inspect ${id.slice(0, 12)} failed (${ins.code}): ${ins.stderr.trim()}`);
      continue;
    }
    const st = JSON.parse(ins.stdout) as { Status: string; Running: boolean; Paused: boolean; Pid: number };
    const tag = `${id.slice(0, 12)} (ps "${status}", inspect ${st.Status} pid ${st.Pid})`;
    const up = status.startsWith("Up");
    if (up !== st.Running) out.push(`${tag}: ps and inspect disagree`);
    if (status.includes("(Paused)") !== st.Paused) out.push(`${tag}: ps and inspect disagree on paused`);
    const procs = cgroupPids(id);
    if (st.Running) {
      const live = JSON.parse(read(join(run, "containers", id, "live.json")) ?? "null") as { Pid: number; PidStart: number } | null;
      if (st.Pid <= 0 || !alive(st.Pid)) out.push(`${tag}: reads as running but PID 1 is gone`);
      else if (live?.Pid !== st.Pid || stat(st.Pid)?.start !== live.PidStart) out.push(`${tag}: PID 1 is not the process on record (${JSON.stringify(live)})`);
      else if (!procs.includes(st.Pid)) out.push(`${tag}: PID 1 is not in the container's cgroup`);
      if (st.Paused !== frozen(id)) out.push(`${tag}: the freezer says ${frozen(id) ? "frozen" : "thawed"}`);
    } else if (procs.length > 0) {
      out.push(`${tag}: reads as not running but its cgroup holds live processes ${procs.join(",")}`);
    }
  }
  return out;
}

/** what must be gone once every container was removed (`ids`: the containers the case saw) */
function debris(ids: string[]): string[] {
  const out: string[] = [];
  for (const p of ourProcesses(ids)) out.push(`process: ${p}`);
  for (const m of ourMounts()) out.push(`mount: ${m}`);
  for (const d of cgroupDirs()) out.push(`cgroup: ${d}`);
  for (const n of list(join(root, "containers"))) if (n !== "_names") out.push(`container dir: ${n}`);
  for (const n of list(join(root, "containers", "_names"))) out.push(`name reservation: ${n}`);
  for (const n of list(join(run, "containers"))) out.push(`run dir: ${n}`);
  for (const n of list(join(run, "locks"))) if (n.startsWith("ctr-")) out.push(`lock: ${n}`);
  return out;
}

/** polls `fn` until it reports nothing (background work settling), at most `ms`; returns the last report */
async function settle(fn: () => Promise<string[]> | string[], ms = 3000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const p = await fn();
    if (p.length === 0 || Date.now() > end) return p;
    await Bun.sleep(100);
  }
}

/** everything of this root killed and removed without the engine: the next case starts clean */
async function scrub(): Promise<void> {
  const ids = (await cli(["ps", "-aq", "--no-trunc"], 10_000)).stdout.split("\n").filter(Boolean);
  for (const id of ids) await cli(["rm", "-f", id], 15_000);
  for (let i = 0; i < 20; i++) {
    const procs = ourProcesses();
    if (procs.length === 0) break;
    // a frozen task does not die of SIGKILL until thawed
    for (const d of cgroupDirs()) {
      try {
        if (d.includes("/freezer/")) writeFileSync(join(d, "freezer.state"), "THAWED");
        else if (existsSync(join(d, "cgroup.freeze"))) writeFileSync(join(d, "cgroup.freeze"), "0");
      } catch {}
    }
    for (const p of procs) try { process.kill(Number(p.split(" ")[0]), 9); } catch {}
    await Bun.sleep(50);
  }
  for (const m of ourMounts().sort((a, b) => b.length - a.length)) Bun.spawnSync(["umount", "-l", m]);
  for (const d of cgroupDirs().sort((a, b) => b.length - a.length)) try { rmdirSync(d); } catch {}
  for (const n of list(join(root, "containers"))) if (n !== "_names") removeTree(join(root, "containers", n));
  removeTree(join(root, "containers", "_names"));
  removeTree(join(run, "containers"));
  for (const n of list(join(run, "locks"))) if (n.startsWith("ctr-")) removeTree(join(run, "locks", n));
}

// ---- the sweep ----

interface Op {
  label: string;
  /** puts the container in the state the operation starts from */
  prepare?: (name: string) => Promise<void>;
  args: (name: string) => string[];
  /** also SIGKILL every supervisor of this root at the same moment */
  killSupervisors?: boolean;
  /** extra delays (ms) beyond the measured duration, for work that goes on after the CLI returns */
  extra?: number[];
  /** the duration to sweep over, for a CLI that does not end by itself */
  duration?: number;
}

const running = async (name: string) => void (await ok(["run", "-d", "--name", name, "busybox", "sleep", "1000"]));

/** one uncrashed run of the operation, cleaned up: how long its CLI takes */
async function measure(op: Op): Promise<number> {
  if (op.duration !== undefined) return op.duration;
  const name = `m${++serial}`;
  await op.prepare?.(name);
  const t0 = performance.now();
  const p = Bun.spawn([...bunkerCommand(), ...op.args(name)], { env: env(), stdio: ["ignore", "ignore", "ignore"] });
  const done = await Promise.race([p.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
  const ms = performance.now() - t0;
  if (!done) p.kill(9);
  await p.exited;
  await scrub();
  if (!done) throw new Error(`${op.label}: the uncrashed CLI did not finish in 10 s`);
  return ms;
}

/**
 * 0..60 ms in steps (start-up and the first steps of the work), then fractions of the whole. Each step
 * is moved by up to 3 ms at random, so repeated runs land on different moments of the same phases
 * (the delay is in every reported problem).
 */
function delays(full: number, extra: number[] = []): number[] {
  const out: number[] = [];
  // BUNKER_CRASH_STEP_MS=n: every n ms over the whole duration instead (minutes, for hunting a window)
  const step = Number(process.env.BUNKER_CRASH_STEP_MS);
  const base = step > 0 ? Array.from({ length: Math.ceil(full / step) + 1 }, (_, i) => i * step) : [0, 8, 16, 24, 32, 40, 50, 60];
  // denser towards the end: a start's narrowest window (PID 1 let go to execve, not yet on record)
  // lies at 75-90% of an uncrashed run -d or start
  for (const d of [...base, ...[0.5, 0.75, 0.82, 0.88, 0.94, 1].map((f) => Math.round(full * f)), ...extra]) {
    const j = d === 0 ? 0 : d + Math.floor(Math.random() * 4);
    if (!out.some((x) => Math.abs(x - j) < Math.min(3, step || 3))) out.push(j);
  }
  return out.sort((a, b) => a - b);
}

async function crashCase(op: Op, delay: number): Promise<string[]> {
  const name = `c${++serial}`;
  const label = `${op.label} @${delay}ms`;
  await op.prepare?.(name);
  const p = Bun.spawn([...bunkerCommand(), ...op.args(name)], { env: env(), stdio: ["ignore", "ignore", "ignore"] });
  await Bun.sleep(delay);
  p.kill(9);
  if (op.killSupervisors) for (const pid of supervisors()) try { process.kill(pid, 9); } catch {}
  await p.exited;

  const problems: string[] = [];
  problems.push(...(await settle(truthProblems)));

  const ids = (await cli(["ps", "-aq", "--no-trunc"], 10_000)).stdout.split("\n").filter(Boolean);
  for (const ref of [...ids, name]) {
    const t0 = performance.now();
    const r = await cli(["rm", "-f", ref], 15_000);
    if (r.code !== 0) problems.push(`rm -f ${ref.slice(0, 12)} → ${r.code}: ${r.stderr.trim()}`);
    else if (performance.now() - t0 > 8000) problems.push(`rm -f ${ref.slice(0, 12)} took ${Math.round(performance.now() - t0)} ms`);
  }
  const left = (await cli(["ps", "-aq"], 10_000)).stdout.trim();
  if (left) problems.push(`listed after rm -f: ${left.replace(/\n/g, " ")}`);
  problems.push(...(await settle(() => debris(ids))));

  const again = await cli(["run", "--rm", "--name", name, "busybox", "true"], 20_000);
  if (again.code !== 0) problems.push(`run --rm --name ${name} true → ${again.code}: ${again.stderr.trim()}`);
  if (problems.length) await scrub();
  return problems.map((p) => `${label}: ${p}`);
}

async function sweep(op: Op): Promise<void> {
  const full = await measure(op);
  const problems: string[] = [];
  const ds = delays(full, op.extra);
  for (const d of ds) problems.push(...(await crashCase(op, d)));
  console.log(`${op.label}: ${ds.length} delays (0..${Math.max(...ds)} ms, uncrashed ${Math.round(full)} ms), ${problems.length} problems`);
  expect(problems).toEqual([]);
}

describe("containers: kill -9 at any moment", () => {
  beforeAll(async () => {
    fileStart = ticksNow() - 1;
    base = mkdtempSync("/tmp/bunker-crash-");
    root = join(base, "root");
    run = join(base, "run");
    await importBusybox(root, run);
  });
  afterEach(() => scrub());
  afterAll(async () => {
    try {
      await scrub();
    } finally {
      for (let i = 0; i < 50 && parentDirs().length; i++) {
        for (const d of parentDirs()) try { rmdirSync(d); } catch {}
        if (parentDirs().length) await Bun.sleep(100);
      }
      if (base) removeTree(base);
    }
  });

  const ops: Op[] = [
    { label: "run -d", args: (n) => ["run", "-d", "--name", n, "busybox", "sleep", "1000"] },
    { label: "run -d +sup", args: (n) => ["run", "-d", "--name", n, "busybox", "sleep", "1000"], killSupervisors: true },
    { label: "run --rm (attached)", args: (n) => ["run", "--rm", "--name", n, "busybox", "sh", "-c", "sleep 0.2"] },
    { label: "run -d --rm", args: (n) => ["run", "-d", "--rm", "--name", n, "busybox", "sh", "-c", "sleep 0.2"] },
    // the supervisor's own end (exit recorded, container removed) lies 200+ ms after the CLI's
    { label: "run -d --rm +sup", args: (n) => ["run", "-d", "--rm", "--name", n, "busybox", "sh", "-c", "sleep 0.2"], killSupervisors: true, extra: [200, 230, 260, 300] },
    { label: "create", args: (n) => ["create", "--name", n, "busybox", "sleep", "1000"] },
    { label: "start", prepare: async (n) => void (await ok(["create", "--name", n, "busybox", "sleep", "1000"])), args: (n) => ["start", n] },
    { label: "start +sup", prepare: async (n) => void (await ok(["create", "--name", n, "busybox", "sleep", "1000"])), args: (n) => ["start", n], killSupervisors: true },
    { label: "stop -t 1", prepare: running, args: (n) => ["stop", "-t", "1", n] },
    { label: "stop -t 1 +sup", prepare: running, args: (n) => ["stop", "-t", "1", n], killSupervisors: true },
    { label: "restart -t 1", prepare: running, args: (n) => ["restart", "-t", "1", n] },
    { label: "restart -t 1 +sup", prepare: running, args: (n) => ["restart", "-t", "1", n], killSupervisors: true },
    { label: "pause", prepare: running, args: (n) => ["pause", n] },
    { label: "unpause", prepare: async (n) => (await running(n), void (await ok(["pause", n]))), args: (n) => ["unpause", n] },
    { label: "rm -f (running)", prepare: running, args: (n) => ["rm", "-f", n] },
    { label: "rm -f (running) +sup", prepare: running, args: (n) => ["rm", "-f", n], killSupervisors: true },
    // `sleep 1000` keeps the exec'd process (and its CLI) alive: 150 ms covers the CLI's start and the exec
    { label: "exec", prepare: running, args: (n) => ["exec", n, "sleep", "1000"], duration: 150 },
  ];
  for (const op of ops) test(op.label, () => sweep(op), 240_000);

  // The narrowest windows the sweep found, staged exactly (the sweep hits them only now and then)

  test("pause killed between the freeze and its state write: reads as paused, exec refused, unpause works", async () => {
    const id = await ok(["run", "-d", "--name", "fz", "busybox", "sleep", "1000"]);
    freeze(id, true);
    expect(await ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("fz paused");
    expect(await ok(["inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "fz"])).toBe("paused true");
    expect((await cli(["exec", "fz", "true"], 10_000)).stderr).toContain("Container fz is paused");
    await ok(["unpause", "fz"]);
    expect(frozen(id)).toBe(false);
    expect(stateFile(id).Status).toBe("running");
  });

  test("unpause killed between the thaw and its state write: reads as running, and state.json is repaired", async () => {
    const id = await ok(["run", "-d", "--name", "th", "busybox", "sleep", "1000"]);
    await ok(["pause", "th"]);
    freeze(id, false);
    expect(stateFile(id).Status).toBe("paused");
    expect(await ok(["ps", "--format", "{{.Names}} {{.State}}"])).toBe("th running");
    expect((await cli(["exec", "th", "true"], 10_000)).code).toBe(0);
    expect(stateFile(id).Status).toBe("running");
    expect((await cli(["unpause", "th"], 10_000)).stderr).toContain("is not paused");
  });

  test("rename killed half-way: neither name file holds a name its container does not bear", async () => {
    const a = await ok(["create", "--name", "old1", "busybox", "true"]);
    // killed after writing the new name's file, before the record: the new name stays free
    writeFileSync(join(root, "containers", "_names", "new1"), a);
    expect(await ok(["run", "--rm", "--name", "new1", "busybox", "true"])).toBe("");
    // killed after the record, before removing the old name's file: the old name is free again
    const b = await ok(["create", "--name", "old2", "busybox", "true"]);
    await ok(["rename", "old2", "new2"]);
    expect(list(join(root, "containers", "_names")).sort()).toEqual(["new2", "old1"]);
    writeFileSync(join(root, "containers", "_names", "old2"), b);
    expect(await ok(["inspect", "-f", "{{.Name}}", "new2"])).toBe("/new2");
    expect((await cli(["inspect", "old2"], 10_000)).code).toBe(1);
    expect(await ok(["run", "--rm", "--name", "old2", "busybox", "true"])).toBe("");
    // and rm -f sweeps such files, with those of a create killed before its record
    writeFileSync(join(root, "containers", "_names", "ghost"), "f".repeat(64));
    writeFileSync(join(root, "containers", "_names", "old2"), b);
    await ok(["rm", "-f", "old1", "new2"]);
    expect(list(join(root, "containers", "_names"))).toEqual([]);
  });

  test("rm -f killed after marking the removal: the --rm container's supervisor removes it when it ends", async () => {
    const id = await ok(["run", "-d", "--rm", "--name", "rmk", "busybox", "sleep", "1000"]);
    // what rm -f leaves when killed between its state write and its kill: a removal by a process now gone
    const gone = Bun.spawnSync(["true"]).pid;
    const statePath = join(root, "containers", id, "state.json");
    const state = JSON.parse(readFileSync(statePath, "utf8"));
    writeFileSync(statePath, JSON.stringify({ ...state, ManuallyStopped: true, Removing: true, RemovingBy: { Pid: gone, Start: 1 } }));
    await ok(["kill", "rmk"]);
    const end = Date.now() + 10_000;
    while (existsSync(join(root, "containers", id)) && Date.now() < end) await Bun.sleep(50);
    expect(existsSync(join(root, "containers", id))).toBe(false);
    expect((await cli(["inspect", "rmk"], 10_000)).code).toBe(1);
  });

  test("rm killed after the record went, before its lock file: the next rm -f sweeps the lock", async () => {
    const id = await ok(["run", "-d", "--name", "lk", "busybox", "true"]);
    await ok(["wait", "lk"]);
    expect(list(join(run, "locks"))).toContain(`ctr-${id}.lock`);
    // what deleteRecord leaves when killed between the container dir and the lock file
    removeTree(join(root, "containers", id));
    removeTree(join(root, "containers", "_names", "lk"));
    expect((await cli(["rm", "-f", "lk"], 10_000)).code).toBe(0);
    expect(list(join(run, "locks")).filter((n) => n.startsWith("ctr-"))).toEqual([]);
  });
});

/** what a freezer write of a killed pause/unpause leaves, made directly */
function freeze(id: string, on: boolean): void {
  const v1 = join(CG, "freezer", cgParent, id);
  if (existsSync(v1)) writeFileSync(join(v1, "freezer.state"), on ? "FROZEN" : "THAWED");
  else writeFileSync(join(CG, cgParent, id, "cgroup.freeze"), on ? "1" : "0");
  const end = Date.now() + 5000;
  while (frozen(id) !== on || (on && (read(join(v1, "freezer.state")) ?? "FROZEN").trim() === "FREEZING")) {
    if (Date.now() > end) throw new Error(`the freezer of ${id} did not turn ${on ? "frozen" : "thawed"}`);
    Bun.sleepSync(5);
  }
}

const stateFile = (id: string) => JSON.parse(read(join(root, "containers", id, "state.json")) ?? "{}") as { Status?: string };
