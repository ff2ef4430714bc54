/**
 * Hidden mode `__init`: the first code that runs in a container. Reads its payload from fd 3, builds
 * the container with synchronous calls only, and leaves through execve. A failure goes to the parent as
 * one {t:"error"} message on fd 4 and init exits with the Docker exit code it carries.
 */
import { InitLink, readPayload, type InitMessage } from "../channel.ts";
import { LaunchError } from "../errors.ts";
import { linuxSys } from "../../sys/linux.ts";
import { SysError } from "../../sys/errors.ts";
import { nodeFs, type InitContext } from "./context.ts";
import { runContainer } from "./run.ts";
import { execInContainer } from "./join.ts";
import { runChild } from "./child.ts";
import { trace } from "../trace.ts";

export async function main(_args: string[]): Promise<void> {
  trace("init: started");
  const link = new InitLink();
  const ctx: InitContext = { sys: linuxSys(), fs: nodeFs, link };
  try {
    const payload = readPayload();
    if (payload === null) process.exit(0);
    if (payload.mode === "run") await runContainer(ctx, payload.spec, payload.hold);
    else if (payload.mode === "exec") execInContainer(ctx, payload.target, payload.process, payload.cgroupProcsFiles);
    else runChild(ctx, payload.process);
  } catch (e) {
    const err = e instanceof LaunchError ? e : new LaunchError("payload", e instanceof Error ? e.message : String(e), {
      errno: e instanceof SysError ? e.errno : 0,
    });
    const msg: InitMessage = { t: "error", stage: err.stage, errno: err.errno, msg: err.message.replace(/^unable to start container process: /, ""), exitCode: err.exitCode };
    try {
      link.send(msg);
    } catch {
      process.stderr.write(`bunker init: ${err.message}\n`);
    }
    process.exit(err.exitCode);
  }
}
