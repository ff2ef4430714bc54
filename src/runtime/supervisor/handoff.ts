/**
 * A supervisor replacing its own process image (execve of the same binary in another hidden mode)
 * while its container runs. Everything that must live on is kernel state: the container stays our
 * child, PR_SET_CHILD_SUBREAPER and the session are kept, pid and /proc start time do not change (so
 * the live file still names us), and the fds listed in `keep` stay open (their close-on-exec flag is
 * cleared here; every other fd Bun opened is close-on-exec and goes away).
 *
 * execve through ffi rather than Bun's process.execve, which closes every fd above 2.
 *
 * The image is /proc/self/exe, not the path we were started from: a container runs for days, and the
 * binary at that path may be upgraded or deleted meanwhile. The supervisor then goes on with the code
 * that started the container (its hand-over arguments are that version's), as it did before it re-exec'd.
 */
export const SELF_EXE = "/proc/self/exe";
import { clearCloexec } from "../../sys/extra.ts";
import { linuxSys } from "../../sys/linux.ts";

/** returns only when execve failed (the error is thrown); on success this process image is gone */
export function execSelf(argv: string[], env: Record<string, string>, keep: number[]): never {
  for (const fd of keep) clearCloexec(fd);
  const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return linuxSys().execve(SELF_EXE, argv, envp);
}
