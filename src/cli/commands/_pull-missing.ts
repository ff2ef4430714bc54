/**
 * run/create pull a missing image like Docker: the pull's lines go to stderr (stdout belongs to the
 * container), and `--pull never` would skip it (not offered yet).
 */
import type { MissingImageHooks } from "../../engine/containers/image-source.ts";
import { formatReference, localName, parseReference, withDefaultTag } from "../../registry/reference.ts";
import { log } from "../_log.ts";

export const pullMissing: MissingImageHooks = {
  note: (msg) => log.error(msg),
  async pull(image: string) {
    const ref = withDefaultTag(parseReference(image));
    // loaded only when an image is missing: the registry client is a large part of the CLI
    const [{ pullImage }, { withStore }] = await Promise.all([import("../../engine/distribution/pull.ts"), import("../../engine/distribution/stores.ts")]);
    const r = await withStore(`pull ${localName(ref)}`, (parts) =>
      pullImage(ref, parts, { onResolved: () => process.stderr.write(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}\n`) }),
    );
    process.stderr.write(`Digest: ${r.digest}\nStatus: Downloaded newer image for ${formatReference(ref, true)}\n`);
  },
};
