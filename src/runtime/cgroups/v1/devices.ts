/**
 * v1 devices: deny everything, then allow Docker's list (runc's defaults + moby's). Without this a
 * container with CAP_MKNOD could mknod the host's disks and read them. Each rule is a separate write:
 * the kernel parses one rule per write(2).
 */
import type { Resources } from "../types.ts";
import { appendCg as write, appendCgEach } from "../_fs.ts";
import type { V1Controller } from "./controller.ts";

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


export const devicesV1: V1Controller = {
  name: "devices",
  apply(dir: string, r: Resources, create: boolean): void {
    if (!create && r.devices === undefined) return;
    const rules = r.devices ?? DEFAULT_DEVICE_RULES;
    if (rules.some((x) => x.startsWith("a"))) {
      write(dir, "devices.allow", "a");
      return;
    }
    write(dir, "devices.deny", "a");
    appendCgEach(dir, "devices.allow", rules);
  },
};
