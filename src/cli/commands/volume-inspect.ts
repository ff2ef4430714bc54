import { getVolume, volumeView } from "../../engine/volumes/index.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";
import { formatTemplate } from "../_template.ts";
import { goJson } from "./image_common.ts";
import { volumeError } from "./volume-rm.ts";

const flags = {
  format: { type: "string", alias: "f", description: "Format output using a custom template ('json', 'TEMPLATE')" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "volume inspect",
  description: "Display detailed information on one or more volumes",
  flags,
  positionals: [{ name: "VOLUME", description: "volumes", required: true }],
  args: { min: 1 },
  run({ flags: f, positionals }) {
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of positionals) {
      try {
        found.push(volumeView(getVolume(name)));
      } catch (err) {
        errors.push(volumeError(err, name));
      }
    }
    if (f.format === undefined) process.stdout.write(`${goJson(found, 4)}\n`);
    else if (f.format === "json") for (const v of found) process.stdout.write(`${goJson(v)}\n`);
    else for (const v of found) process.stdout.write(`${formatTemplate(f.format, v)}\n`);
    for (const e of errors) log.error(e);
    return errors.length ? 1 : 0;
  },
};
export default spec;
