/**
 * run/create pull a missing image like Docker: the pull's lines go to stderr (stdout belongs to the
 * container); `--pull always|missing|never` chooses when (pullHooks).
 */
import type { MissingImageHooks, PullPolicy } from "../../engine/containers/image-source.ts";
import { UsageError } from "../../errors.ts";
import { formatReference, localName, parseReference, withDefaultTag } from "../../image/reference.ts";
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
    process.stderr.write(pullSummary(r, ref).map((l) => `${l}\n`).join(""));
  },
};

/** the lines a pull ends with, as Docker prints them (`--pull always` on a present image: "up to date") */
export function pullSummary(r: { digest: string; updated: boolean }, ref: Parameters<typeof formatReference>[0]): string[] {
  const status = r.updated ? "Downloaded newer image for" : "Image is up to date for";
  return [`Digest: ${r.digest}`, `Status: ${status} ${formatReference(ref, true)}`];
}

/** the hooks for a --pull value; an unknown one is refused with the Docker CLI's words before anything is made */
export function pullHooks(policy: string | undefined): MissingImageHooks {
  const p = policy ?? "missing";
  if (p !== "always" && p !== "missing" && p !== "never") {
    throw new UsageError(`invalid pull option: '${p}': must be one of "always", "missing" or "never"`, 125);
  }
  return { ...pullMissing, policy: p as PullPolicy };
}
