/**
 * The one place containers ask the image store for something: an image reference → its id, config and
 * snapshot dirs (the overlay lowers). The lookup itself is the image engine's (imageForRun); this adds
 * run's behaviour for a missing image: say so, pull it when the caller can, or fail like Docker (125).
 */
import { BunkerError } from "../../errors.ts";
import { familiarInput } from "../../image/reference.ts";
import { imageForRun } from "../images/run-image.ts";

/** the "config" section of an image config (Docker/OCI), the fields run merges */
export interface ImageRunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Volumes?: Record<string, object> | null;
  ExposedPorts?: Record<string, object> | null;
}

export interface ResolvedImage {
  /** "sha256:<hex>" */
  id: string;
  config: ImageRunConfig;
  /** snapshot dirs, top-most first */
  lower: string[];
}

export interface MissingImageHooks {
  /** "Unable to find image 'x:latest' locally" goes here (stderr in the CLI) */
  note?: (msg: string) => void;
  /** pulls the reference; throws with the registry's error */
  pull?: (ref: string) => Promise<void>;
  /**
   * Docker's --pull: "missing" (the default) pulls an absent image, "always" pulls first (no "Unable
   * to find" line), "never" fails on an absent image with the daemon's "No such image".
   */
  policy?: PullPolicy;
}

export type PullPolicy = "always" | "missing" | "never";

export async function resolveImageForRun(ref: string, hooks: MissingImageHooks = {}): Promise<ResolvedImage> {
  const policy = hooks.policy ?? "missing";
  if (policy === "always" && hooks.pull) await pullOr125(hooks.pull, ref);
  const found = await imageForRun(ref).catch((e) => {
    throw new BunkerError(`Error response from daemon: ${e instanceof Error ? e.message : String(e)}`, { exitCode: 125 });
  });
  if (found) return found;
  const shown = familiarInput(ref);
  if (policy === "never") throw new BunkerError(`Error response from daemon: No such image: ${shown}`, { exitCode: 125 });
  if (policy === "missing") hooks.note?.(`Unable to find image '${shown}' locally`);
  if (hooks.pull && policy === "missing") {
    await pullOr125(hooks.pull, ref);
    const pulled = await imageForRun(ref);
    if (pulled) return pulled;
  }
  throw new BunkerError(
    `Error response from daemon: pull access denied for ${shown.replace(/:[^:/]+$/, "")}, repository does not exist or may require 'docker login'`,
    { exitCode: 125 },
  );
}

async function pullOr125(pull: (ref: string) => Promise<void>, ref: string): Promise<void> {
  try {
    await pull(ref);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new BunkerError(msg.startsWith("Error response from daemon") ? msg : `Error response from daemon: ${msg}`, { exitCode: 125 });
  }
}
