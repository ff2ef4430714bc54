/**
 * The command table: "group sub" or top-level name -> lazy loader. Only commands that work are listed
 * (--help must not advertise what does not exist). Loaders are lazy so `bunker --version` stays fast.
 */
import type { CommandSpec } from "../_command.ts";
import type { FlagDefs } from "../_flags.ts";

// biome-ignore lint: the table holds specs of every flag shape
export type AnySpec = CommandSpec<any>;
type Loader = () => Promise<AnySpec>;

export interface Entry {
  load: Loader;
  description: string;
  /** shown in "Common Commands" */
  common?: boolean;
}

export const groups: Record<string, string> = {
  image: "Manage images",
};

/** key: "image ls" style for group members, plain name for top-level commands */
export const commands: Record<string, Entry> = {
  version: { load: () => import("./version.ts").then((m) => m.default), description: "Show the bunker version information" },
};

/** other spellings of a command: Docker's top-level shortcuts (images -> image ls) and group forms */
export const aliases: Record<string, string> = {};
