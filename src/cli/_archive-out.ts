/**
 * Where `save` and `export` put a tar stream: stdout (never a terminal, like Docker) or -o FILE, written
 * beside the target and renamed so a failed run never leaves a truncated archive under the real name.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { BunkerError } from "../errors.ts";

export function refuseTerminal(output: string | undefined): void {
  if (!output && process.stdout.isTTY) throw new BunkerError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
}

export async function writeArchive(chunks: AsyncIterable<Uint8Array>, output: string | undefined): Promise<void> {
  if (!output) {
    const w = Bun.stdout.writer();
    for await (const c of chunks) await w.write(c);
    await w.flush();
    return;
  }
  const tmp = `${output}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o644);
  try {
    for await (const c of chunks) for (let off = 0; off < c.length; ) off += writeSync(fd, c, off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, output);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}
