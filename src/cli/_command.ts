/**
 * One CLI command = flag table + positional shape + a run function that calls the engine.
 * `command()` turns it into a citty CommandDef so citty renders --help and routes subcommands, while
 * flags go through our Docker-style parser.
 */
import { defineCommand, renderUsage, type ArgsDef, type CommandDef } from "citty";
import { UsageError } from "../errors.ts";
import { parseFlags, type FlagDefs, type Parsed } from "./_flags.ts";

export interface PositionalDef {
  name: string;
  description: string;
  required?: boolean;
}

export interface CommandSpec<F extends FlagDefs> {
  /** full name as typed, e.g. "image ls" */
  name: string;
  description: string;
  flags: F;
  positionals?: PositionalDef[];
  /** "exactly N", "at least N", "at most N" arguments, with Docker's wording on violation */
  args?: { min?: number; max?: number };
  stopAtFirstPositional?: boolean;
  hidden?: boolean;
  run(p: Parsed<F>): Promise<number | void> | number | void;
}

export function command<F extends FlagDefs>(spec: CommandSpec<F>): CommandDef {
  const def: CommandDef = defineCommand({
    meta: { name: `bunker ${spec.name}`, description: spec.description, hidden: spec.hidden },
    args: toCittyArgs(spec),
    async run(ctx) {
      const parsed = parseFlags(ctx.rawArgs, spec.flags, {
        command: spec.name,
        stopAtFirstPositional: spec.stopAtFirstPositional,
      });
      if (parsed.help) {
        process.stdout.write((await renderUsage(def)).replace(/^/, "") + "\n");
        return;
      }
      checkArgCount(spec, parsed.positionals.length);
      const code = await spec.run(parsed);
      if (typeof code === "number") process.exitCode = code;
    },
  });
  return def;
}

function checkArgCount(spec: CommandSpec<FlagDefs>, n: number): void {
  const { min, max } = spec.args ?? {};
  let want: string | undefined;
  if (min !== undefined && max !== undefined && min === max && n !== min) want = `exactly ${plural(min)}`;
  else if (min !== undefined && n < min) want = `at least ${plural(min)}`;
  else if (max !== undefined && n > max) want = max === 0 ? "no arguments" : `at most ${plural(max)}`;
  if (want !== undefined) {
    const verb = want === "no arguments" ? "accepts" : "requires";
    throw new UsageError(`"bunker ${spec.name}" ${verb} ${want}.\nSee 'bunker ${spec.name} --help'.`);
  }
}

function plural(n: number): string {
  return `${n} argument${n === 1 ? "" : "s"}`;
}

function toCittyArgs(spec: CommandSpec<FlagDefs>): ArgsDef {
  const args: ArgsDef = {};
  for (const p of spec.positionals ?? []) {
    // arity is checked by checkArgCount with Docker's wording; citty must never refuse first
    args[p.name] = { type: "positional", description: p.description, required: false };
  }
  for (const [name, f] of Object.entries(spec.flags)) {
    if (f.hidden) continue;
    args[name] = {
      type: f.type === "boolean" ? "boolean" : "string",
      description: f.type === "list" ? `${f.description} (repeatable)` : f.description,
      alias: f.alias,
      valueHint: f.valueHint,
      default: f.default,
    } as ArgsDef[string];
  }
  return args;
}
