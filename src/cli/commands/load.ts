import { existsSync } from "node:fs";
import { loadImages } from "../../engine/distribution/archive.ts";
import { withStore } from "../../engine/distribution/stores.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";

const flags = {
  input: { type: "string", alias: "i", description: "Read from tar archive file, instead of STDIN", valueHint: "string" },
  quiet: { type: "boolean", alias: "q", description: "Suppress the load output" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "load",
  description: "Load an image from a tar archive or STDIN",
  flags,
  args: { max: 0 },
  async run({ flags: f }) {
    if (f.input && !existsSync(f.input)) throw new BunkerError(`open ${f.input}: no such file or directory`);
    if (!f.input && process.stdin.isTTY) throw new BunkerError("requested load from stdin, but stdin is empty");
    const source = f.input ? Bun.file(f.input).stream() : Bun.stdin.stream();
    const r = await withStore("load", (parts) => loadImages(source, parts));
    for (const n of r.names) process.stdout.write(`Loaded image: ${n}\n`);
    for (const id of r.ids) process.stdout.write(`Loaded image ID: ${id}\n`);
  },
};
export default spec;
