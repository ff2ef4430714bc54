/**
 * `export`: the container's whole filesystem (image layers + its changes, whiteouts applied) as one
 * tar, like Docker's. Read from a private read-only overlay of the layers (never the live container's
 * mount tree, so /proc, /sys and mounts are not in it), walked fd by fd inside that root (cp/read.ts),
 * so a running container swapping paths cannot make us archive a host file.
 */
import { linuxSys } from "../sys/index.ts";
import { tarInRoot } from "./cp/read.ts";
import { openContainerRoot } from "./cp/root.ts";

/** the archive as chunks; the private mount is released when the generator ends or is abandoned */
export async function* exportContainer(ref: string): AsyncGenerator<Uint8Array> {
  const sys = linuxSys();
  const root = await openContainerRoot(ref, { view: "layers", write: false }, sys);
  try {
    yield* tarInRoot(sys, root.fd, "/", { name: "", follow: false });
  } finally {
    root.release();
  }
}

/** opens the container first (so "No such container" comes before any output), then streams */
export async function openExport(ref: string): Promise<AsyncGenerator<Uint8Array>> {
  const gen = exportContainer(ref);
  const first = await gen.next();
  return (async function* () {
    if (!first.done) yield first.value;
    yield* gen;
  })();
}
