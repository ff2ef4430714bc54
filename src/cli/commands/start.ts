import { followDetached, refresh, startDetached } from "../../engine/containers/index.ts";
import { BunkerError, errorMessage } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";

const flags = {
  attach: { type: "boolean" as const, alias: "a", description: "Attach STDOUT/STDERR and forward signals" },
  interactive: { type: "boolean" as const, alias: "i", description: "Attach container's STDIN" },
  "detach-keys": { type: "string" as const, description: "Override the key sequence for detaching a container" },
};

const spec: CommandSpec<typeof flags> = {
  name: "start",
  description: "Start one or more stopped containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  async run({ flags, positionals }) {
    if (flags.attach || flags.interactive) {
      if (positionals.length > 1) throw new BunkerError("you cannot start and attach multiple containers at once");
      const v = await refresh(positionals[0]!);
      // docker's start -a exits 1 when the start fails (126/127 are run's codes)
      return followDetached(v.id, flags.interactive, flags["detach-keys"]).catch((e: unknown) => {
        throw e instanceof BunkerError && e.exitCode !== 1 ? new BunkerError(e.message, { exitCode: 1, cause: e }) : e;
      });
    }
    const failed: string[] = [];
    for (const ref of positionals) {
      try {
        await startDetached(ref);
        process.stdout.write(`${ref}\n`);
      } catch (e) {
        failed.push(ref);
        log.error(errorMessage(e));
      }
    }
    if (failed.length) {
      log.error(`Error: failed to start containers: ${failed.join(", ")}`);
      return 1;
    }
  },
};
export default spec;
