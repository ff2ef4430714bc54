import { inspectView, refresh } from "../../engine/containers/index.ts";
import { errorMessage, NotFoundError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";
import { goJson } from "../_output.ts";
import { formatTemplate } from "../_template.ts";

const flags = {
  format: { type: "string" as const, alias: "f", description: "Format output using a custom template" },
  size: { type: "boolean" as const, alias: "s", description: "Display total file sizes" },
};

const spec: CommandSpec<typeof flags> = {
  name: "container inspect",
  description: "Display detailed information on one or more containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers" }],
  args: { min: 1 },
  async run({ flags, positionals }) {
    const out: unknown[] = [];
    const errors: string[] = [];
    for (const ref of positionals) {
      try {
        out.push(inspectView(await refresh(ref), flags.size));
      } catch (e) {
        // docker's inspect words a missing object "Error: No such container: x" (the CLI's own wording)
        errors.push(e instanceof NotFoundError ? `Error: ${e.message}` : errorMessage(e));
      }
    }
    if (flags.format) for (const v of out) process.stdout.write(`${formatTemplate(flags.format, v)}\n`);
    else process.stdout.write(`${goJson(out, 4)}\n`);
    // like Docker: what was found first, then the errors
    for (const m of errors) log.error(m);
    return errors.length ? 1 : 0;
  },
};
export default spec;
