import { removeVolume } from "../../engine/volumes/index.ts";
import { BunkerError, errorMessage, NotFoundError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";

const flags = {
  force: { type: "boolean", alias: "f", description: "Force the removal of one or more volumes" },
} as const;

/** The CLI's line for a failed volume lookup: "Error: No such volume: x"; others keep their wording. */
export function volumeError(err: unknown, name: string): string {
  if (err instanceof NotFoundError && err.kind === "volume") return `Error: No such volume: ${name}`;
  if (err instanceof BunkerError) return err.message;
  return `Error: ${errorMessage(err)}`;
}

const spec: CommandSpec<typeof flags> = {
  name: "volume rm",
  description: "Remove one or more volumes",
  flags,
  positionals: [{ name: "VOLUME", description: "volumes", required: true }],
  args: { min: 1 },
  run({ flags: f, positionals }) {
    let failed = false;
    for (const name of positionals) {
      try {
        // -f forgives a missing volume and still prints its name, as Docker does
        removeVolume(name, { force: f.force });
        process.stdout.write(`${name}\n`);
      } catch (err) {
        failed = true;
        log.error(volumeError(err, name));
      }
    }
    return failed ? 1 : 0;
  },
};
export default spec;
