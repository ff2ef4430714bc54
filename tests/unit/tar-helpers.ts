/** Shared helpers for the tar tests: temp dirs, GNU tar listings in a comparable form, collecting streams. */
import { mkdtempSync, rmSync } from "node:fs";
import { readTar } from "../../src/image/tar/reader.ts";
import type { TarEntry } from "../../src/image/tar/types.ts";

export function tempDir(tag: string): string {
  return mkdtempSync(`/var/tmp/bunker-${tag}-`);
}

export function rmrf(...paths: string[]): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
}

/** Runs a command; throws with its stderr on failure. */
export function run(cmd: string[], opts: { cwd?: string; stdin?: Uint8Array } = {}): string {
  const r = Bun.spawnSync(cmd, { cwd: opts.cwd, stdin: opts.stdin, env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${r.exitCode}): ${r.stderr.toString()}${r.stdout.toString().slice(0, 2000)}`);
  return r.stdout.toString();
}

export async function collect(src: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of src) parts.push(c);
  return Buffer.concat(parts);
}

export async function* chunked(data: Uint8Array, sizes: () => number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; ) {
    const n = Math.max(1, sizes());
    yield data.subarray(off, off + n);
    off += n;
  }
}

export async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

export interface Listed {
  entry: TarEntry;
  body?: Uint8Array;
}

export async function listTar(src: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, bodies = false): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const { entry, body } of readTar(src)) {
    out.push(bodies ? { entry, body: await collect(body) } : { entry });
  }
  return out;
}

const TYPE_CH: Record<string, string> = { file: "-", hardlink: "h", symlink: "l", char: "c", block: "b", dir: "d", fifo: "p" };

/** GNU tar's mode column ("-rwsr-xr-x") for an entry. */
export function modeString(e: TarEntry): string {
  const m = e.mode;
  const rwx = (shift: number, special: number, ch: string): string => {
    const r = m & (4 << shift) ? "r" : "-", w = m & (2 << shift) ? "w" : "-";
    const x = m & (1 << shift);
    const s = m & special ? (x ? ch : ch.toUpperCase()) : x ? "x" : "-";
    return r + w + s;
  };
  return TYPE_CH[e.type] + rwx(6, 0o4000, "s") + rwx(3, 0o2000, "s") + rwx(0, 0o1000, "t");
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** GNU tar's --full-time column, in UTC. */
export function timeString(e: TarEntry): string {
  const d = new Date(e.mtime * 1000);
  const base = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return e.mtimeNsec ? `${base}.${String(e.mtimeNsec).padStart(9, "0").replace(/0+$/, "")}` : base; // GNU trims zeros
}

const norm = (n: string): string => n.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");

/** One line per entry, the way `tar -tv --full-time --numeric-owner --quoting-style=literal` prints it. */
export function gnuLine(e: TarEntry): string {
  const size = e.type === "char" || e.type === "block" ? `${e.devmajor},${e.devminor}` : String(e.size);
  let line = `${modeString(e)} ${e.uid}/${e.gid} ${size} ${timeString(e)} ${e.name}`;
  if (e.type === "symlink") line += ` -> ${e.linkname}`;
  if (e.type === "hardlink") line += ` link to ${e.linkname}`;
  return line;
}

/** GNU tar's verbose listing of an archive, normalized like ours (names, spacing). */
export function gnuListing(tarPath: string): string[] {
  const out = run(["tar", "-tv", "--full-time", "--numeric-owner", "--quoting-style=literal", "-f", tarPath]);
  return out.split("\n").filter(Boolean).map((l) => {
    const m = /^(\S+) (\d+)\/(\d+) +(\S+) (\S+ \S+) +(.*)$/.exec(l);
    if (!m) throw new Error(`unparsed tar line: ${l}`);
    let rest = m[6]!;
    let tail = "";
    const sl = rest.indexOf(" -> "), hl = rest.indexOf(" link to ");
    if (m[1]!.startsWith("l") && sl >= 0) { tail = ` -> ${rest.slice(sl + 4)}`; rest = rest.slice(0, sl); }
    if (m[1]!.startsWith("h") && hl >= 0) { tail = ` link to ${norm(rest.slice(hl + 9))}`; rest = rest.slice(0, hl); }
    return `${m[1]} ${m[2]}/${m[3]} ${m[4]} ${m[5]} ${norm(rest)}${tail}`;
  });
}
