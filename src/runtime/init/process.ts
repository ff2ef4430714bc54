/** Per-container settings applied inside the namespaces: hostname, sysctls, rlimits, working directory. */
import { RLIMITS } from "../../sys/constants.ts";
import type { ProcessSpec, RuntimeSpec } from "../spec.ts";
import type { InitContext } from "./context.ts";
import { LaunchError } from "../errors.ts";
import { SysError, strerror } from "../../sys/errors.ts";

export function setHostname(ctx: InitContext, spec: RuntimeSpec): void {
  if (!spec.namespaces.uts) return; // the host's name is not ours to change
  if (spec.hostname) ctx.sys.sethostname(spec.hostname);
  if (spec.domainname) ctx.sys.setdomainname(spec.domainname);
}

/** net.ipv4.ip_forward → /proc/sys/net/ipv4/ip_forward (written before /proc/sys turns read-only). */
export function applySysctls(ctx: InitContext, sysctl: Record<string, string>): void {
  for (const [name, value] of Object.entries(sysctl)) {
    if (name.includes("..") || name.startsWith("/") || name.startsWith(".")) throw new Error(`invalid sysctl name ${name}`);
    ctx.fs.writeFile(`/proc/sys/${name.replace(/\./g, "/")}`, value);
  }
}

export function applyRlimits(ctx: InitContext, proc: ProcessSpec): void {
  for (const r of proc.rlimits) {
    const key = r.type.toUpperCase();
    const resource = RLIMITS[key.startsWith("RLIMIT_") ? key : `RLIMIT_${key}`];
    if (resource === undefined) throw new Error(`unknown rlimit ${r.type}`);
    const big = (n: number): bigint => (n < 0 ? 0xffff_ffff_ffff_ffffn : BigInt(n));
    ctx.sys.setrlimit(resource, { soft: big(r.soft), hard: big(r.hard) });
  }
}

/**
 * run: the working directory is created when missing, like Docker's WorkingDir. A file there (create
 * refuses one from the image, but the container may have made one since) is Docker's start-time
 * SetupWorkingDirectory error: an engine error (125), not the chdir failure (126) of an exec.
 */
export function ensureCwd(ctx: InitContext, cwd: string): void {
  if (!cwd) return;
  const kind = ctx.fs.kind(cwd);
  if (kind === null) ctx.fs.mkdir(cwd, 0o755, true);
  else if (kind !== "dir") throw new LaunchError("cwd", `Cannot mkdir: ${cwd} is not a directory`, { exitCode: 125 });
}

export function enterCwd(ctx: InitContext, cwd: string): void {
  const dir = cwd || "/";
  try {
    ctx.sys.chdir(dir);
  } catch (e) {
    // Docker: `chdir to cwd ("/x") set in config.json failed: no such file or directory`, exit 126 for exec
    const why = e instanceof SysError ? strerror(e.errno) : String(e);
    throw new LaunchError("cwd", `chdir to cwd (${JSON.stringify(dir)}) set in config.json failed: ${why}`, { exitCode: 126, cause: e });
  }
}
