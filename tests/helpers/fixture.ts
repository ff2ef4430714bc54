/**
 * End-to-end fixture: temp roots, running the bunker CLI, and a busybox image built here from
 * busybox-static (no network, no Docker). Shared by every e2e test:
 *
 *   const t = makeTempRoot();                      // afterEach/afterAll: t.cleanup()
 *   const id = await importBusybox(t, "busybox");   // "sha256:...", CMD ["sh"]
 *   const r = await bunker(["run", "--rm", "busybox", "true"], t);
 *
 * The CLI runs from source (`bun src/cli/main.ts`) unless BUNKER_BIN names a compiled binary.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");
const BUSYBOX = "/bin/busybox";

export interface TempRoot {
  /** persistent state (--root) */
  root: string;
  /** runtime state (--run-root) */
  run: string;
  /** parent of both; everything a test writes can go here */
  dir: string;
  cleanup(): void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  root: string;
  run?: string;
  stdin?: string | Uint8Array | Blob;
  env?: Record<string, string>;
  cwd?: string;
}

/** the command that runs bunker: the compiled binary when BUNKER_BIN is set, else the source */
export function bunkerCommand(): string[] {
  const bin = process.env.BUNKER_BIN;
  if (bin) return [bin];
  return [process.execPath, join(REPO, "src/cli/main.ts")];
}

/** a fresh root and run dir under /tmp; cleanup unmounts anything left below it and removes it */
export function makeTempRoot(prefix = "bunker-e2e-"): TempRoot {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const root = join(dir, "root");
  const run = join(dir, "run");
  mkdirSync(root);
  mkdirSync(run);
  return { root, run, dir, cleanup: () => removeTree(dir) };
}

/** removes a test tree, lazily unmounting mounts inside it first (a failed test may leave some) */
export function removeTree(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m]);
  rmSync(dir, { recursive: true, force: true });
}

function envFor(o: RunOptions): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    BUNKER_ROOT: o.root,
    BUNKER_RUN: o.run ?? join(o.root, "..", "run"),
    NO_COLOR: "1",
    ...(o.env ?? {}),
  };
}

/** runs the CLI to completion */
export async function bunker(args: string[], o: RunOptions): Promise<RunResult> {
  const p = spawnBunker(args, o);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** starts the CLI and returns the process (for tests that signal or stream) */
export function spawnBunker(args: string[], o: RunOptions) {
  const stdin = o.stdin === undefined ? "ignore" : typeof o.stdin === "string" ? new Blob([o.stdin]) : o.stdin instanceof Blob ? o.stdin : new Blob([o.stdin]);
  return Bun.spawn([...bunkerCommand(), ...args], { env: envFor(o), stdin, stdout: "pipe", stderr: "pipe", cwd: o.cwd ?? REPO });
}

const PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP = "root:x:0:\nnobody:x:65534:\n";

/**
 * A root filesystem like the busybox image's: /bin/busybox with every applet as a symlink next to it,
 * /etc/passwd and /etc/group with root and nobody, /tmp 1777, /root 0700, empty mount points.
 */
export function buildBusyboxRootfs(dir: string): string {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install busybox-static`);
  for (const d of ["bin", "etc", "root", "tmp", "home", "var", "proc", "sys", "dev", "usr/bin", "usr/sbin", "sbin"]) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, "tmp"), 0o1777);
  chmodSync(join(dir, "root"), 0o700);
  copyFileSync(BUSYBOX, join(dir, "bin/busybox"));
  chmodSync(join(dir, "bin/busybox"), 0o755);
  const list = Bun.spawnSync([BUSYBOX, "--list"]).stdout.toString().split("\n").filter((a) => /^[\w.[-]+$/.test(a) && a !== "busybox");
  for (const applet of new Set(["sh", ...list])) symlinkSync("busybox", join(dir, "bin", applet));
  writeFileSync(join(dir, "etc/passwd"), PASSWD);
  writeFileSync(join(dir, "etc/group"), GROUP);
  writeFileSync(join(dir, "etc/hostname"), "");
  return dir;
}

/** tars a directory with GNU tar (numeric owners root:root, sorted, fixed mtime): a foreign producer */
export function tarDirectoryWithGnuTar(dir: string, out: string, opts: { gzip?: boolean } = {}): string {
  const args = ["tar", "--numeric-owner", "--owner=0", "--group=0", "--sort=name", "--mtime=2024-01-01 00:00:00Z", "-C", dir];
  const p = Bun.spawnSync([...args, opts.gzip ? "-czf" : "-cf", out, "."]);
  if (p.exitCode !== 0) throw new Error(`tar failed: ${p.stderr.toString()}`);
  return out;
}

/**
 * The busybox rootfs and its tarballs (plain and gzip), built once under `dir` (a TempRoot's dir, so
 * the root's cleanup removes them too).
 */
export function busyboxTarball(dir: string): { tar: string; tgz: string; rootfs: string } {
  const base = join(dir, "busybox-fixture");
  const out = { tar: join(base, "busybox.tar"), tgz: join(base, "busybox.tar.gz"), rootfs: join(base, "rootfs") };
  if (existsSync(out.tgz)) return out;
  rmSync(base, { recursive: true, force: true });
  buildBusyboxRootfs(out.rootfs);
  tarDirectoryWithGnuTar(out.rootfs, out.tar);
  tarDirectoryWithGnuTar(out.rootfs, out.tgz, { gzip: true });
  return out;
}

/** imports the busybox fixture through the CLI under `name`; returns the image ID ("sha256:...") */
export async function importBusybox(t: TempRoot, name = "busybox:latest", changes: string[] = ['CMD ["sh"]']): Promise<string> {
  const args = ["import", ...changes.flatMap((c) => ["-c", c]), busyboxTarball(t.dir).tar, name];
  const r = await bunker(args, t);
  if (r.code !== 0) throw new Error(`bunker import failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}
