/**
 * v1 devices: deny everything, then allow Docker's list (runc's defaults + moby's). Without this a
 * container with CAP_MKNOD could mknod the host's disks and read them. Each rule is a separate write:
 * the kernel parses one rule per write(2).
 */
import { DEFAULT_DEVICE_RULES } from "../device-rules.ts";
import type { Resources } from "../types.ts";
import { appendCg as write, appendCgEach } from "../_fs.ts";
import type { V1Controller } from "./controller.ts";

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
