import { statSync } from "node:fs";
import { BunkerError } from "../../errors.ts";
import { importImage, openImageStore } from "../../engine/images/index.ts";
import type { CommandSpec } from "../_command.ts";
import { daemonCall } from "./image_common.ts";

const flags = {
  change: { type: "list", alias: "c", description: "Apply Dockerfile instruction to the created image" },
  message: { type: "string", alias: "m", description: "Set commit message for imported image" },
  platform: { type: "string", description: "Set platform if server is multi-platform capable" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "image import",
  description: "Import the contents from a tarball to create a filesystem image",
  flags,
  positionals: [
    { name: "file|URL|-", description: "a tar (plain, gzip or zstd) file, or - for standard input" },
    { name: "REPOSITORY[:TAG]", description: "name for the new image" },
  ],
  args: { min: 1, max: 2 },
  async run({ flags: f, positionals: [src, ref] }) {
    const source = openSource(src!);
    const store = await openImageStore();
    const r = await daemonCall(() =>
      importImage(store, { source, sourceName: "-", reference: ref, changes: f.change, message: f.message, platform: f.platform }),
    );
    process.stdout.write(`${r.id}\n`);
  },
};

/** Docker's CLI reads the file itself and streams it, so its errors are the CLI's own ("open x: ...") */
function openSource(src: string): ReadableStream<Uint8Array> {
  if (src === "-") return Bun.stdin.stream();
  if (/^https?:\/\//.test(src)) throw new BunkerError(`importing from a URL is not supported: ${src}`);
  try {
    if (statSync(src).isDirectory()) throw new BunkerError(`read ${src}: is a directory`);
  } catch (err) {
    if (err instanceof BunkerError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new BunkerError(`open ${src}: ${code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : (err as Error).message}`);
  }
  return Bun.file(src).stream();
}

export default spec;
