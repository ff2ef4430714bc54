import { inspectView, refresh } from "../../engine/containers/index.ts";
import { BunkerError, DAEMON, NotFoundError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { printInspect } from "../_inspect.ts";

const flags = {
  format: { type: "string" as const, alias: "f", description: "Format output using a custom template" },
  type: { type: "string" as const, description: "Return JSON for specified type" },
  size: { type: "boolean" as const, alias: "s", description: "Display total file sizes if the type is container" },
};

const TYPES = ["config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"];

/**
 * Docker's generic inspect: without --type the first container, image or volume of that name, and
 * "Error: No such object: x" for none; with --type only that kind, and that kind's own not-found line.
 */
async function lookup(ref: string, type: string | undefined, size: boolean): Promise<unknown> {
  if (type === undefined || type === "container") {
    try {
      return inspectView(await refresh(ref), size);
    } catch (e) {
      if (!(e instanceof NotFoundError) || type !== undefined) throw e;
    }
  }
  if (type === undefined || type === "image") {
    const { inspectImages, noSuchImage, openImageStore } = await import("../../engine/images/index.ts");
    const r = await inspectImages(await openImageStore(), [ref]);
    if (r.found[0]) return r.found[0];
    if (type !== undefined) throw new Error(`${DAEMON}${noSuchImage(ref).message}`);
  }
  if (type === undefined || type === "volume") {
    const { getVolume, volumeView } = await import("../../engine/volumes/index.ts");
    try {
      return volumeView(getVolume(ref));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      if (type !== undefined) throw new Error(`${DAEMON}${e.message}`);
    }
  }
  if (type === "network") throw new Error(`${DAEMON}network ${ref} not found`);
  throw new Error(`Error: No such object: ${ref}`);
}

const spec: CommandSpec<typeof flags> = {
  name: "inspect",
  description: "Return low-level information on Docker objects",
  flags,
  positionals: [{ name: "NAME|ID", description: "objects" }],
  args: { min: 1 },
  run({ flags, positionals }) {
    const type = flags.type === "" ? undefined : flags.type;
    if (type !== undefined && !TYPES.includes(type)) {
      throw new BunkerError(`unknown type: "${type}": must be one of ${TYPES.map((t) => `"${t}"`).join(", ")}`);
    }
    return printInspect(positionals, flags.format, (ref) => lookup(ref, type, flags.size));
  },
};
export default spec;
