import { createVolume } from "../../engine/volumes/index.ts";
import { UsageError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";

const flags = {
  driver: { type: "string", alias: "d", description: "Specify volume driver name", default: "local" },
  label: { type: "list", description: "Set metadata for a volume" },
  opt: { type: "list", alias: "o", description: "Set driver specific options" },
  name: { type: "string", description: "Specify volume name", hidden: true },
} as const;

/** "k=v" list -> map; a bare "k" is an empty value, as Docker's ListOpts */
export function kvMap(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of items) {
    const i = s.indexOf("=");
    out[i < 0 ? s : s.slice(0, i)] = i < 0 ? "" : s.slice(i + 1);
  }
  return out;
}

const spec: CommandSpec<typeof flags> = {
  name: "volume create",
  description: "Create a volume",
  flags,
  positionals: [{ name: "VOLUME", description: "volume name (random when omitted)" }],
  args: { max: 1 },
  run({ flags: f, positionals }) {
    if (f.name !== undefined && positionals[0] !== undefined && f.name !== positionals[0]) {
      throw new UsageError(`conflicting options: either specify --name or provide positional arg, not both`);
    }
    const { volume } = createVolume({
      name: positionals[0] ?? f.name,
      driver: f.driver,
      labels: kvMap(f.label),
      options: kvMap(f.opt),
    });
    process.stdout.write(`${volume.Name}\n`);
  },
};
export default spec;
