import { copyFromContainer, copyToContainer, CopyRuleError, splitCpArg } from "../../engine/cp/index.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { asDaemonError } from "./image_common.ts";

/** daemon-side failures read "Error response from daemon: ..."; the client's own path checks do not */
async function daemonCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof CopyRuleError ? err : asDaemonError(err);
  }
}

const flags = {
  archive: { type: "boolean", alias: "a", description: "Archive mode (copy all uid/gid information)" },
  "follow-link": { type: "boolean", alias: "L", description: "Always follow symbol link in SRC_PATH" },
  quiet: { type: "boolean", alias: "q", description: "Suppress progress output during copy" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "cp",
  description: "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
  flags,
  positionals: [
    { name: "SRC", description: "CONTAINER:SRC_PATH, or a local SRC_PATH or -" },
    { name: "DEST", description: "DEST_PATH or -, or CONTAINER:DEST_PATH" },
  ],
  args: { min: 2, max: 2 },
  async run({ flags: f, positionals: [a, b] }) {
    const src = splitCpArg(a!), dst = splitCpArg(b!);
    const o = { archive: f.archive, followLink: f["follow-link"] };
    if (src.container !== undefined && dst.container !== undefined) throw new BunkerError("copying between containers is not supported");
    if (src.container === undefined && dst.container === undefined) throw new BunkerError("must specify at least one container source");
    if (src.container !== undefined) {
      if (src.path === "") throw new BunkerError("source can not be empty");
      if (b === "-") {
        const w = Bun.stdout.writer();
        await daemonCall(() => copyFromContainer(src.container!, src.path, async (chunks) => {
          for await (const c of chunks) await w.write(c);
        }, o));
        await w.flush();
        return;
      }
      await daemonCall(() => copyFromContainer(src.container!, src.path, dst.path, o));
      return;
    }
    if (dst.path === "") throw new BunkerError("destination can not be empty");
    const from = a === "-" ? Bun.stdin.stream() : src.path;
    await daemonCall(() => copyToContainer(from, dst.container!, dst.path, o));
  },
};
export default spec;
