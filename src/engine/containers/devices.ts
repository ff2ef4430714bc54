/**
 * --device and --device-cgroup-rule. The flags are checked the way Docker's CLI checks them (opts
 * validateLinuxPath, parseLinuxDevice, validateDeviceCgroupRule) and stored as typed; the host's nodes are
 * looked up at each start, as Docker's daemon does (oci.DevicesFromPath in WithDevices), so a missing
 * device fails `start`, not `create`, and a device that changed numbers since create is seen as it is now.
 */
import { lstatSync, readdirSync, realpathSync, type BigIntStats } from "node:fs";
import { posix } from "node:path";
import { devMajor, devMinor } from "../../image/tar/fsutil.ts";
import { DEFAULT_DEVICE_RULES } from "../../runtime/cgroups/device-rules.ts";
import type { RuntimeSpec } from "../../runtime/spec.ts";
import { S_IFBLK, S_IFCHR, S_IFMT } from "../../sys/constants.ts";
import { clientError, engineError } from "./options.ts";
import type { DeviceMapping, HostConfig } from "./types.ts";

type DeviceNode = RuntimeSpec["devices"][number];

/** Docker's validDeviceMode: a non-empty subset of "rwm", each letter at most once */
export function validDeviceMode(mode: string): boolean {
  return mode !== "" && /^[rwm]{1,3}$/.test(mode) && new Set(mode).size === mode.length;
}

/** Go's path.Clean for the paths the CLI cleans */
function clean(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/**
 * One --device value, HOST[:CONTAINER][:PERMS]: with two parts the second is the permissions when it reads
 * as a mode ("/dev/sda:rw"), else the container path. Errors are the CLI's flag errors (exit 125).
 */
export function parseDeviceFlag(val: string): DeviceMapping {
  const bad = (why: string) => clientError(`invalid argument "${val}" for "--device" flag: ${why}`);
  if ((val.match(/:/g) ?? []).length > 2) throw bad(`bad format for path: ${val}`);
  const split = val.split(":");
  if (split[0] === "") throw bad(`bad format for path: ${val}`);
  let host = split[0]!;
  let dst: string;
  let perms = "rwm";
  if (split.length === 1) {
    host = dst = clean(host);
  } else if (split.length === 2) {
    if (validDeviceMode(split[1]!)) {
      perms = split[1]!;
      host = dst = clean(host);
    } else {
      dst = clean(split[1]!);
    }
  } else {
    dst = split[1]!;
    perms = split[2]!;
    if (!validDeviceMode(perms)) throw bad(`bad mode specified: ${perms}`);
  }
  if (!dst.startsWith("/")) throw bad(`${dst} is not an absolute path`);
  return { PathOnHost: host, PathInContainer: dst, CgroupPermissions: perms };
}

const CGROUP_RULE_RE = /^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/;

/** Docker's CLI validateDeviceCgroupRule */
export function checkDeviceCgroupRule(val: string): string {
  if (!CGROUP_RULE_RE.test(val)) throw clientError(`invalid argument "${val}" for "--device-cgroup-rule" flag: invalid device cgroup format '${val}'`);
  return val;
}

/** the words of Go's syscall.Errno for what lstat can answer; Node's own text otherwise */
function errnoText(e: unknown): string {
  const m = /^[A-Z0-9]+: (.*?), lstat /.exec((e as Error).message ?? "");
  return m ? m[1]! : String((e as Error).message ?? e);
}

function nodeOf(path: string, st: BigIntStats): DeviceNode | null {
  const fmt = Number(st.mode) & S_IFMT;
  // FIFOs, which runc also takes as "devices", are not: bunker's spec has char and block nodes only
  if (fmt !== S_IFCHR && fmt !== S_IFBLK) return null;
  return {
    path,
    type: fmt === S_IFBLK ? "b" : "c",
    major: devMajor(st.rdev),
    minor: devMinor(st.rdev),
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

/**
 * The nodes of one mapping (oci.DevicesFromPath): a symlink is followed, a directory gives every device
 * under it (its subdirectories too, symlinks inside not followed, unreadable parts skipped).
 */
export function devicesFromPath(m: DeviceMapping): DeviceNode[] {
  let resolved = m.PathOnHost;
  let st: BigIntStats;
  const fail = (why: string) =>
    engineError(`error gathering device information while adding custom device ${JSON.stringify(m.PathOnHost)}: ${why}`);
  try {
    if (lstatSync(resolved).isSymbolicLink()) resolved = realpathSync(resolved);
  } catch {}
  try {
    st = lstatSync(resolved, { bigint: true });
  } catch (e) {
    throw fail(errnoText(e));
  }
  const node = nodeOf(m.PathInContainer, st);
  if (node) return [node];
  const out: DeviceNode[] = [];
  if (st.isDirectory()) {
    const walk = (dir: string) => {
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        return;
      }
      for (const name of names) {
        const p = `${dir}/${name}`;
        let s: BigIntStats;
        try {
          s = lstatSync(p, { bigint: true });
        } catch {
          continue;
        }
        if (s.isDirectory()) walk(p);
        const n = nodeOf(p.replace(resolved, m.PathInContainer), s);
        if (n) out.push(n);
      }
    };
    walk(resolved.replace(/\/+$/, "") || "/");
  }
  if (out.length === 0) throw fail("not a device node");
  return out;
}

/** every node the container gets from --device, in the order given */
export function deviceNodesOf(hc: HostConfig): DeviceNode[] {
  return (hc.Devices ?? []).flatMap(devicesFromPath);
}

/**
 * The cgroup allow-list with --device and --device-cgroup-rule on top of the defaults (the daemon's
 * WithDevices: each device's node with the permissions given, then the rules as typed).
 */
export function deviceRulesOf(hc: HostConfig): string[] {
  const rules = [...DEFAULT_DEVICE_RULES];
  for (const m of hc.Devices ?? []) {
    for (const d of devicesFromPath(m)) rules.push(`${d.type} ${d.major}:${d.minor} ${m.CgroupPermissions}`);
  }
  rules.push(...(hc.DeviceCgroupRules ?? []));
  return rules;
}
