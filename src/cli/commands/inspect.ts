import { inspectView, refresh } from "../../engine/containers/index.ts";
import { NotFoundError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { printInspect } from "../_inspect.ts";

const flags = {
  format: { type: "string" as const, alias: "f", description: "Format output using a custom template" },
  type: { type: "string" as const, description: "Return JSON for specified type" },
  size: { type: "boolean" as const, alias: "s", description: "Display total file sizes if the type is container" },
};

/** containers first, then images (Docker's generic inspect); null when neither knows the name */
async function lookup(ref: string, type: string | undefined, size: boolean): Promise<unknown | null> {
  if (type === undefined || type === "container") {
    try {
      return inspectView(await refresh(ref), size);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  if (type === undefined || type === "image") {
    const { inspectImages, openImageStore } = await import("../../engine/images/index.ts");
    const r = await inspectImages(await openImageStore(), [ref]);
    if (r.found[0]) return r.found[0];
  }
  return null;
}

const spec: CommandSpec<typeof flags> = {
  name: "inspect",
  description: "Return low-level information on Docker objects",
  flags,
  positionals: [{ name: "NAME|ID", description: "objects" }],
  args: { min: 1 },
  run({ flags, positionals }) {
    return printInspect(positionals, flags.format, async (ref) => {
      const v = await lookup(ref, flags.type, flags.size);
      if (v === null) throw new Error(`Error: No such object: ${ref}`);
      return v;
    });
  },
};
export default spec;
