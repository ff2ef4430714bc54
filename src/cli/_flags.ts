/**
 * Docker-style flag parsing. citty's parser (node:util parseArgs, non-strict) keeps only the last of
 * repeated flags and cannot stop at the image name, and Docker users rely on both (`-e A -e B`,
 * `run IMG ls -l`). Commands declare flags here; citty gets the same table for routing and --help.
 */
import { UsageError } from "../errors.ts";

export type FlagType = "boolean" | "string" | "list";

export interface FlagDef {
  type: FlagType;
  alias?: string | string[];
  description: string;
  default?: boolean | string;
  valueHint?: string;
  hidden?: boolean;
}

export type FlagDefs = Record<string, FlagDef>;

export type FlagValues<F extends FlagDefs> = {
  [K in keyof F]: F[K]["type"] extends "boolean" ? boolean : F[K]["type"] extends "list" ? string[] : string | undefined;
};

export interface Parsed<F extends FlagDefs> {
  flags: FlagValues<F>;
  positionals: string[];
  help: boolean;
}

export interface ParseOptions {
  /** everything after the first positional belongs to it (run IMAGE CMD..., exec CTR CMD...) */
  stopAtFirstPositional?: boolean;
  /** command name for error hints */
  command: string;
  /** "Usage:  bunker CMD [OPTIONS] ..." shown under a flag error, as docker 28 does */
  usage?: string;
}

export function parseFlags<F extends FlagDefs>(argv: string[], defs: F, opts: ParseOptions): Parsed<F> {
  const byName = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    byName.set(name, name);
    for (const a of toArray(def.alias)) byName.set(a, name);
  }
  const values: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) {
    values[name] = def.type === "list" ? [] : def.type === "boolean" ? def.default === true : def.default;
  }
  const positionals: string[] = [];
  let help = false;
  const hint = `${opts.usage ? `\n${opts.usage}\n` : ""}\nRun 'bunker ${opts.command} --help' for more information`;
  const bad = (msg: string) => new UsageError(`${msg}\n${hint}`, 125);

  const assign = (name: string, raw: string | undefined, next: () => string | undefined, shown: string) => {
    const def = defs[name]!;
    if (def.type === "boolean") {
      if (raw === undefined || raw === "true" || raw === "1") values[name] = true;
      else if (raw === "false" || raw === "0") values[name] = false;
      else throw bad(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return;
    }
    const v = raw ?? next();
    if (v === undefined) throw bad(`flag needs an argument: ${shown}`);
    if (def.type === "list") (values[name] as string[]).push(v);
    else values[name] = v;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = () => (i + 1 < argv.length ? argv[++i] : undefined);
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      const key = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const raw = eq === -1 ? undefined : arg.slice(eq + 1);
      if (key === "help") {
        help = true;
        continue;
      }
      const name = byName.get(key);
      if (!name) throw bad(`unknown flag: --${key}`);
      assign(name, raw, next, `--${key}`);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // a cluster of short flags: -itd, -p8080:80, -e=A=B
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j]!;
        if (ch === "h" && !byName.has("h")) {
          help = true;
          continue;
        }
        const name = byName.get(ch);
        if (!name) throw bad(`unknown shorthand flag: '${ch}' in ${arg}`);
        const def = defs[name]!;
        if (def.type === "boolean") {
          if (arg[j + 1] === "=") {
            assign(name, arg.slice(j + 2), next, `-${ch}`);
            break;
          }
          assign(name, undefined, next, `-${ch}`);
          continue;
        }
        let rest = arg.slice(j + 1);
        if (rest.startsWith("=")) rest = rest.slice(1);
        assign(name, rest === "" ? undefined : rest, next, `-${ch}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
    if (opts.stopAtFirstPositional) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags: values as FlagValues<F>, positionals, help };
}

function toArray(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
