/**
 * `-v/--volume`, `--mount` and `--tmpfs` into MountRequests. The rules and the wording are moby's
 * (volume/mounts/linux_parser.go for -v and the daemon-side checks, docker/cli opts/mount.go for the
 * --mount csv), so scripts that match Docker's errors keep working. Nothing here touches the disk except
 * making relative "./x" sources absolute (the CLI does that too, against the current directory).
 */
import { posix, resolve } from "node:path";
import { BunkerError } from "../../errors.ts";
import type { BindRequest, HostMount, MountRequest, TmpfsRequest, VolumeRequest } from "./types.ts";

/** Errors of run/create flags: exit 125, like every engine error before the container starts. */
export class MountSpecError extends BunkerError {
  constructor(message: string) {
    super(message, { exitCode: 125 });
    this.name = "MountSpecError";
  }
}

const daemon = (msg: string) => new MountSpecError(`Error response from daemon: ${msg}`);

const RW_MODES = new Set(["rw", "ro"]);
const LABEL_MODES = new Set(["z", "Z"]);
export const PROPAGATION_MODES = new Set(["private", "rprivate", "shared", "rshared", "slave", "rslave"]);
const COPY_MODES = new Set(["nocopy"]);
const CONSISTENCY_MODES = new Set(["consistent", "cached", "delegated"]);

/** moby's ValidateMountMode: known words, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === "") return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(",")) {
    const kind = [RW_MODES, LABEL_MODES, PROPAGATION_MODES, COPY_MODES, CONSISTENCY_MODES].findIndex((s) => s.has(o));
    if (kind < 0) return false;
    counts[kind]!++;
  }
  return counts.every((c) => c <= 1);
}

/** moby's checks shared by -v and --mount, answering `invalid mount config for type "T": ...`. */
function checkTarget(type: string, target: string): void {
  const cfg = (m: string) => daemon(`invalid mount config for type ${JSON.stringify(type)}: ${m}`);
  if (target === "") throw cfg("field Target must not be empty");
  if (posix.normalize(target).replace(/\/+$/, "") === "" && target.startsWith("/")) throw cfg("invalid specification: destination can't be '/'");
  if (!target.startsWith("/")) throw cfg(`invalid mount path: '${target}' mount path must be absolute`);
}

/** `-v SPEC`: "/ctr", "name:/ctr[:mode]", "/host:/ctr[:mode]" (mode: ro|rw, z|Z, nocopy, propagation). */
export function parseVolumeFlag(spec: string, cwd = process.cwd()): VolumeRequest | BindRequest {
  const parts = splitN(spec, ":", 4);
  if (parts.some((p, i) => p === "" && i < parts.length - 1) || parts[parts.length - 1] === "") {
    throw new MountSpecError(`invalid spec: ${spec}: empty section between colons`);
  }
  const invalidSpec = `invalid volume specification: '${spec}'`;
  let source = "";
  let target: string;
  let mode = "";
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2) {
    if (validMountMode(parts[1]!)) throw daemon(invalidSpec); // "/foo:rw": a mode without a source
    [source, target] = [parts[0]!, parts[1]!];
  } else if (parts.length === 3) [source, target, mode] = [parts[0]!, parts[1]!, parts[2]!];
  else throw daemon(invalidSpec);
  if (!validMountMode(mode)) throw daemon(`invalid mode: ${mode}`);
  // the CLI turns "." and "./x" into absolute host paths (Docker 23+)
  if (source === "." || source.startsWith("./") || source === ".." || source.startsWith("../")) source = resolve(cwd, source);
  const words = mode === "" ? [] : mode.split(",");
  const readonly = words.includes("ro");
  const propagation = words.find((w) => PROPAGATION_MODES.has(w)) ?? "";
  const noCopy = words.includes("nocopy");
  const raw = parts.length === 1 ? spec : [source, target, ...(mode ? [mode] : [])].join(":");
  const wrap = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      throw daemon(`${invalidSpec}: ${(e as Error).message.replace(/^Error response from daemon: /, "")}`);
    }
  };
  if (source.startsWith("/")) {
    wrap(() => {
      checkTarget("bind", target);
      if (noCopy) throw new Error(`invalid mount config for type "bind": field VolumeOptions must not be specified`);
    });
    return { type: "bind", source: cleanTarget(source), target, readonly, propagation, nonRecursive: false, createSource: true, mode, origin: "volume-flag", raw };
  }
  wrap(() => {
    checkTarget("volume", target);
    if (propagation) throw new Error(`invalid mount config for type "volume": field BindOptions must not be specified`);
  });
  // moby gives a named volume without a mode the "z" label mode (shown in inspect's Mounts); anonymous ones stay ""
  const shownMode = mode === "" && source !== "" ? "z" : mode;
  return { type: "volume", source, target, readonly, noCopy, mode: shownMode, labels: null, driver: null, driverOpts: null, origin: "volume-flag", raw };
}

/** Go's strings.SplitN */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** Go's strconv.ParseBool */
function parseBool(v: string): boolean | null {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  return null;
}

/** go-units RAMInBytes: "64m", "1.5g", "1024", "10 MiB" (binary multipliers). */
export function ramInBytes(s: string): number | null {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) return null;
  const mult = { k: 1, m: 2, g: 3, t: 4, p: 5 }[(m[2] ?? "").toLowerCase() as "k"] ?? 0;
  return Math.trunc(Number.parseFloat(m[1]!) * 1024 ** mult);
}

/** Comma-separated fields with csv quoting ("volume-opt=o=\"a,b\"" style values). */
function csvFields(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      if (quoted && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** `--mount type=volume|bind|tmpfs,src=…,dst=…,readonly,…` */
export function parseMountFlag(value: string, cwd = process.cwd()): MountRequest {
  const bad = (m: string) => new MountSpecError(`invalid argument ${JSON.stringify(value)} for "--mount" flag: ${m}`);
  const m: HostMount & { Type: string } = { Type: "volume", Target: "" };
  const vol = () => (m.VolumeOptions ??= {});
  const bind = () => (m.BindOptions ??= {});
  const tmpfs = () => (m.TmpfsOptions ??= {});
  const setMap = (map: Record<string, string>, kv: string) => {
    const i = kv.indexOf("=");
    map[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? "" : kv.slice(i + 1);
  };
  for (const field of csvFields(value)) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? "" : field.slice(eq + 1);
    if (eq < 0) {
      if (key === "readonly" || key === "ro") m.ReadOnly = true;
      else if (key === "volume-nocopy") vol().NoCopy = true;
      else if (key === "bind-nonrecursive") bind().NonRecursive = true;
      else throw bad(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    const bool = () => {
      const b = parseBool(val);
      if (b === null) throw bad(`invalid value for ${key}: ${val}`);
      return b;
    };
    switch (key) {
      case "type":
        m.Type = val.toLowerCase() as HostMount["Type"];
        break;
      case "source":
      case "src":
        m.Source = val === "." || val.startsWith("./") ? resolve(cwd, val) : val;
        break;
      case "target":
      case "dst":
      case "destination":
        m.Target = val;
        break;
      case "readonly":
      case "ro":
        m.ReadOnly = bool();
        break;
      case "consistency":
        break; // macOS-only hint, accepted and ignored as on Linux Docker
      case "bind-propagation":
        bind().Propagation = val.toLowerCase();
        break;
      case "bind-nonrecursive":
        bind().NonRecursive = bool();
        break;
      case "volume-nocopy":
        vol().NoCopy = bool();
        break;
      case "volume-label":
        setMap((vol().Labels ??= {}), val);
        break;
      case "volume-driver":
        (vol().DriverConfig ??= {}).Name = val;
        break;
      case "volume-opt":
        setMap(((vol().DriverConfig ??= {}).Options ??= {}), val);
        break;
      case "tmpfs-size": {
        const n = ramInBytes(val);
        if (n === null) throw bad(`invalid value for ${key}: ${val}`);
        tmpfs().SizeBytes = n;
        break;
      }
      case "tmpfs-mode": {
        if (!/^[0-7]+$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) throw bad(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = Number.parseInt(val, 8);
        break;
      }
      default:
        throw bad(`unexpected key '${key}' in '${field}'`);
    }
  }
  if ((m.Type as string) === "") throw bad("type is required");
  if (m.Target === "") throw bad("target is required");
  for (const [opt, kind] of [[m.VolumeOptions, "volume"], [m.BindOptions, "bind"], [m.TmpfsOptions, "tmpfs"]] as const) {
    if (opt !== undefined && m.Type !== kind) throw bad(`cannot mix '${kind}-*' options with mount type '${m.Type}'`);
  }
  return fromHostMount(m, value);
}

/** The daemon's half of --mount: moby's validateMountConfig for each type. */
function fromHostMount(m: HostMount & { Type: string }, raw: string): MountRequest {
  const cfg = (msg: string) => daemon(`invalid mount config for type ${JSON.stringify(m.Type)}: ${msg}`);
  const readonly = m.ReadOnly === true;
  const source = m.Source ?? "";
  const hostMount = m as HostMount;
  if (m.Type === "bind") {
    checkTarget("bind", m.Target);
    if (source === "") throw cfg("field Source must not be empty");
    const propagation = m.BindOptions?.Propagation ?? "";
    if (propagation && !PROPAGATION_MODES.has(propagation)) throw cfg(`invalid propagation mode: ${propagation}`);
    if (!source.startsWith("/")) throw cfg(`invalid mount path: '${source}' mount path must be absolute`);
    return {
      type: "bind", source: cleanTarget(source), target: m.Target, readonly, propagation, nonRecursive: m.BindOptions?.NonRecursive === true,
      createSource: false, mode: "", origin: "mount-flag", raw, hostMount,
    };
  }
  if (m.Type === "volume") {
    checkTarget("volume", m.Target);
    if (readonly && source === "") throw cfg("must not set ReadOnly mode when using anonymous volumes");
    const o = m.VolumeOptions;
    return {
      type: "volume", source, target: m.Target, readonly, noCopy: o?.NoCopy === true, mode: "z", labels: o?.Labels ?? null,
      driver: o?.DriverConfig?.Name || null, driverOpts: o?.DriverConfig?.Options ?? null, origin: "mount-flag", raw, hostMount,
    };
  }
  if (m.Type === "tmpfs") {
    checkTarget("tmpfs", m.Target);
    if (source !== "") throw cfg("field Source must not be specified");
    const options: string[] = [];
    // moby's ConvertTmpfsOptions: size in KiB, mode in octal
    if (m.TmpfsOptions?.SizeBytes) options.push(`size=${Math.trunc(m.TmpfsOptions.SizeBytes / 1024)}k`);
    if (m.TmpfsOptions?.Mode) options.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
    return { type: "tmpfs", target: m.Target, readonly, options, origin: "mount-flag", raw, hostMount };
  }
  throw cfg("mount type unknown");
}

/** `--tmpfs /path[:opts]`: opts are tmpfs mount options, passed on after Docker's defaults. */
export function parseTmpfsFlag(value: string): TmpfsRequest {
  const i = value.indexOf(":");
  const target = i < 0 ? value : value.slice(0, i);
  const data = i < 0 ? "" : value.slice(i + 1);
  if (!target.startsWith("/")) throw daemon(`invalid mount path: '${target}' mount path must be absolute`);
  if (posix.normalize(target) === "/") throw daemon("invalid specification: destination can't be '/'");
  const options = data === "" ? [] : data.split(",");
  return { type: "tmpfs", target, readonly: options.includes("ro"), options, origin: "tmpfs-flag", raw: value };
}

/** All mount flags of one run/create, in Docker's order (binds, then --mount, then --tmpfs), duplicates refused. */
export function parseMountFlags(flags: { volume?: string[]; mount?: string[]; tmpfs?: string[] }, cwd = process.cwd()): MountRequest[] {
  const out: MountRequest[] = [
    ...(flags.volume ?? []).map((v) => parseVolumeFlag(v, cwd)),
    ...(flags.mount ?? []).map((v) => parseMountFlag(v, cwd)),
    ...(flags.tmpfs ?? []).map(parseTmpfsFlag),
  ];
  const seen = new Set<string>();
  for (const r of out) {
    const key = cleanTarget(r.target);
    if (seen.has(key)) throw daemon(`Duplicate mount point: ${r.target}`);
    seen.add(key);
  }
  return out;
}

export function cleanTarget(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
}
