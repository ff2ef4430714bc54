/**
 * The default seccomp program for a container, built in the parent from the runtime's profile (crun's
 * "prepare in the parent"); null means unconfined (--privileged, --security-opt seccomp=unconfined,
 * decided by the caller). Compiling the profile costs ~6 ms, a tenth of a whole `run`, and its result
 * depends only on the capability set and the architecture: so it is cached in the run dir (tmpfs,
 * cleared at boot, when a new bunker version may compile differently).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../../config.ts";
import { commit, version } from "../../version.ts";

export function seccompFor(caps: string[]): string | null {
  const key = new Bun.CryptoHasher("sha256").update(`${version}:${commit}:${process.arch}:${[...caps].sort().join(",")}`).digest("hex");
  const file = join(paths().run, "seccomp", `${key}.b64`);
  try {
    return readFileSync(file, "utf8");
  } catch {}
  // required here, not imported: the compiler and its syscall tables cost ~2 ms to load, and the
  // cached program is what nearly every run finds
  const { defaultSeccompProgram } = require("../../runtime/seccomp/index.ts") as typeof import("../../runtime/seccomp/index.ts");
  const program = defaultSeccompProgram(caps);
  try {
    mkdirSync(join(paths().run, "seccomp"), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, program, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a read-only or full run dir only costs the compile next time
  }
  return program;
}
