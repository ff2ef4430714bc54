/**
 * Runs as a child of tests/e2e/cgroups-v2-devices.test.ts: joins the cgroup under test, then tries each
 * device operation and prints one JSON array of results ("ok" or the errno code), so the test sees what
 * the kernel's device filter answered for a process inside the cgroup.
 *   bun cgroups-v2-devices-probe.ts <cgroup.procs> '<ops JSON>'
 */
import { closeSync, openSync, writeFileSync } from "node:fs";
import { AT_FDCWD, S_IFBLK, S_IFCHR } from "../../src/sys/constants.ts";
import { linuxSys } from "../../src/sys/linux.ts";
import { makeDev } from "../../src/sys/paths.ts";

export type ProbeOp =
  | { op: "read" | "write"; path: string }
  | { op: "mknod"; path: string; type: "b" | "c"; major: number; minor: number };

if (import.meta.main) {
  const [procs, ops] = process.argv.slice(2);
  writeFileSync(procs!, String(process.pid));
  const results = (JSON.parse(ops!) as ProbeOp[]).map((o) => {
    try {
      if (o.op === "mknod") {
        linuxSys().mknodat(AT_FDCWD, o.path, (o.type === "b" ? S_IFBLK : S_IFCHR) | 0o600, makeDev(o.major, o.minor));
      } else {
        closeSync(openSync(o.path, o.op === "read" ? "r" : "w"));
      }
      return "ok";
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  });
  console.log(JSON.stringify(results));
}
