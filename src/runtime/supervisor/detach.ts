/**
 * The supervisor's side of detaching. It was spawned with setsid (its own session: no controlling
 * terminal, no SIGHUP when the SSH session ends) and with fd 1 a pipe to the CLI that started it. It
 * becomes a child subreaper (orphans of the container's setup land here, not on the host's init),
 * leaves the CLI's cwd, reports one line on the pipe, then points fds 0-2 at /dev/null so the CLI and its
 * terminal can go away.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { PR_SET_CHILD_SUBREAPER } from "../../sys/constants.ts";
import { LinuxSys } from "../../sys/linux.ts";

export type Handshake = { ok: true; pid: number } | { ok: false; exitCode: number; message: string };

let sys: LinuxSys | undefined;
const linux = () => (sys ??= new LinuxSys());

export function becomeSupervisor(): void {
  try {
    linux().prctl(PR_SET_CHILD_SUBREAPER, 1);
  } catch {}
  process.chdir("/");
  // a terminal hangup or Ctrl-C of the starting shell must not reach us (we are in our own session,
  // but a signal sent to the old process group by pid list would)
  process.on("SIGHUP", () => {});
  process.on("SIGINT", () => {});
  process.on("SIGPIPE", () => {});
}

let reported = false;

/** one JSON line to the starting CLI, then fd 1 (and 2 unless debugging) go to /dev/null */
export function reportToStarter(msg: Handshake): void {
  if (reported) return;
  reported = true;
  try {
    writeSync(1, `${JSON.stringify(msg)}\n`);
  } catch {
    // the CLI was killed before reading: nobody to tell
  }
  const nul = openSync("/dev/null", "r+");
  linux().dup3(nul, 0, 0);
  linux().dup3(nul, 1, 0);
  if (!process.env.BUNKER_SUPERVISOR_DEBUG) linux().dup3(nul, 2, 0);
  closeSync(nul);
}
