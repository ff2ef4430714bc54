import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { openExport } from "../../engine/export.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { daemonCall } from "./image_common.ts";

const flags = {
  output: { type: "string", alias: "o", description: "Write to a file, instead of STDOUT", valueHint: "string" },
} as const;

const spec: CommandSpec<typeof flags> = {
  name: "export",
  description: "Export a container's filesystem as a tar archive",
  flags,
  positionals: [{ name: "CONTAINER", description: "the container" }],
  args: { min: 1, max: 1 },
  async run({ flags: f, positionals: [ctr] }) {
    if (!f.output && process.stdout.isTTY) throw new BunkerError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    const chunks = await daemonCall(() => openExport(ctr!));
    if (!f.output) {
      const w = Bun.stdout.writer();
      for await (const c of chunks) await w.write(c);
      await w.flush();
      return;
    }
    // written beside the target and renamed, so a failed export never leaves a truncated archive
    const tmp = `${f.output}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o644);
    try {
      for await (const c of chunks) for (let off = 0; off < c.length; ) off += writeSync(fd, c, off);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, f.output);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
  },
};
export default spec;
