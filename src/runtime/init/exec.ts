/**
 * Finding the program (inside the container, as the container's user, before seccomp) and replacing
 * init with it. Lookup errors carry runc's wording and Docker's exit codes: 127 not found, 126 found but
 * not executable.
 */
import { CLOSE_RANGE_CLOEXEC } from "../../sys/constants.ts";
import { SysError, Errno, strerror } from "../../sys/errors.ts";
import { LaunchError } from "../errors.ts";
import type { InitContext } from "./context.ts";

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function envValue(env: string[], name: string): string | undefined {
  const prefix = `${name}=`;
  for (let i = env.length - 1; i >= 0; i--) if (env[i]!.startsWith(prefix)) return env[i]!.slice(prefix.length);
  return undefined;
}

/** Go's exec.LookPath as runc uses it: a name with a slash is taken as is, others are searched in $PATH. */
export function lookPath(ctx: InitContext, file: string, env: string[]): string {
  if (file === "") throw new LaunchError("exec-lookup", `exec: "": executable file not found in $PATH`, { exitCode: 127 });
  const q = JSON.stringify(file);
  if (file.includes("/")) {
    const kind = ctx.fs.kind(file);
    if (kind === null) {
      throw new LaunchError("exec-lookup", `exec: ${q}: stat ${file}: no such file or directory`, { exitCode: 127, errno: Errno.ENOENT });
    }
    if (kind === "dir") throw new LaunchError("exec-lookup", `exec: ${q}: is a directory`, { exitCode: 126, errno: Errno.EISDIR });
    if (!ctx.fs.executable(file)) throw new LaunchError("exec-lookup", `exec: ${q}: permission denied`, { exitCode: 126, errno: Errno.EACCES });
    return file;
  }
  const path = envValue(env, "PATH") ?? DEFAULT_PATH;
  for (const dir of path.split(":")) {
    const candidate = `${dir === "" ? "." : dir}/${file}`;
    if (ctx.fs.kind(candidate) === "file" && ctx.fs.executable(candidate)) return candidate;
  }
  throw new LaunchError("exec-lookup", `exec: ${q}: executable file not found in $PATH`, { exitCode: 127, errno: Errno.ENOENT });
}

/** Mark every fd above stderr close-on-exec (Bun's own and our pipes), so only 0/1/2 reach the program. */
export function closeExtraFds(ctx: InitContext): void {
  ctx.sys.closeRange(3, 0xffff_ffff, CLOSE_RANGE_CLOEXEC);
}

/** execve; on failure a LaunchError with Docker's exit code for the errno. */
export function execProgram(ctx: InitContext, path: string, args: string[], env: string[]): never {
  try {
    return ctx.sys.execve(path, args, env);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    const code = e.errno === Errno.ENOENT ? 127 : [Errno.EACCES, Errno.EPERM, Errno.EISDIR, 8 /* ENOEXEC */].includes(e.errno as never) ? 126 : 125;
    throw new LaunchError("execve", `exec: ${JSON.stringify(path)}: ${strerror(e.errno)}`, { exitCode: code, errno: e.errno, cause: e });
  }
}
