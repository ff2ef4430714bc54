/**
 * Device access rules in the devices-cgroup syntax ("c 1:3 rwm"), shared by v1 (written to devices.allow
 * as they are) and v2 (compiled into a BPF program). The lists are runc's defaults plus moby's.
 */
import { CgroupError } from "./types.ts";

export const DEFAULT_DEVICE_RULES: readonly string[] = [
  "c *:* m", // mknod of any char/block device (useless without rw access, needed by some images)
  "b *:* m",
  "c 1:3 rwm", // null
  "c 1:5 rwm", // zero
  "c 1:7 rwm", // full
  "c 1:8 rwm", // random
  "c 1:9 rwm", // urandom
  "c 5:0 rwm", // tty
  "c 5:1 rwm", // console
  "c 5:2 rwm", // ptmx
  "c 136:* rwm", // pts
  "c 10:200 rwm", // tun
];

/** `--privileged`: every device */
export const PRIVILEGED_DEVICE_RULES: readonly string[] = ["a *:* rwm"];

/** One allow rule; `null` major/minor is the "*" wildcard. */
export interface DeviceRule {
  type: "a" | "b" | "c";
  major: number | null;
  minor: number | null;
  /** subset of "rwm", in that order */
  access: string;
}

// dev_t as the kernel keeps it: 12 bits of major, 20 of minor
const MAX_MAJOR = (1 << 12) - 1;
const MAX_MINOR = (1 << 20) - 1;

/**
 * Parse "type major:minor access" the way the v1 devices cgroup accepts it; a bare "a" means every
 * device with every access (what v1's devices.allow takes for "allow all").
 */
export function parseDeviceRule(rule: string): DeviceRule {
  const s = rule.trim();
  if (s === "a") return { type: "a", major: null, minor: null, access: "rwm" };
  const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]{1,3})$/.exec(s);
  const bad = (why: string) => new CgroupError(`invalid device cgroup rule ${JSON.stringify(rule)}: ${why}`);
  if (!m) throw bad('want "<a|b|c> <major|*>:<minor|*> <rwm>"');
  const major = m[2] === "*" ? null : Number(m[2]);
  const minor = m[3] === "*" ? null : Number(m[3]);
  if (major !== null && major > MAX_MAJOR) throw bad(`major ${major} is above ${MAX_MAJOR}`);
  if (minor !== null && minor > MAX_MINOR) throw bad(`minor ${minor} is above ${MAX_MINOR}`);
  const access = [..."rwm"].filter((c) => m[4]!.includes(c)).join("");
  if (access.length !== m[4]!.length) throw bad(`access ${JSON.stringify(m[4])} repeats a letter`);
  return { type: m[1] as DeviceRule["type"], major, minor, access };
}
