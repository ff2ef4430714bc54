/**
 * One CLI command = flag table + positional shape + a run function that calls the engine.
 * `runSpec()` parses the flags with our Docker-style parser and runs the command; citty is loaded only
 * to render --help (`command()` turns a spec into a citty CommandDef). Our commands have no citty
 * subcommands, plugins or setup, and citty's own argument parse was thrown away, so calling through
 * citty's runCommand only cost start-up (~1.5 ms to load it on every command, measured).
 */
import type { ArgsDef, CommandDef } from "citty";
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

export async function runSpec<F extends FlagDefs>(spec: CommandSpec<F>, rawArgs: string[]): Promise<void> {
  const parsed = parseFlags(rawArgs, spec.flags, {
    command: spec.name,
    usage: usageLine(spec),
    stopAtFirstPositional: spec.stopAtFirstPositional,
  });
  if (parsed.help) {
    const { renderUsage } = await import("citty");
    const text = await renderUsage(await command(spec));
    // citty colours unconditionally; a pipe or NO_COLOR gets plain text (help is grepped)
    const plain = !process.stdout.isTTY || process.env.NO_COLOR !== undefined;
    process.stdout.write(`${plain ? text.replace(/\x1b\[[0-9;]*m/g, "") : text}\n`);
    return;
  }
  checkArgCount(spec, parsed.positionals.length);
  const code = await spec.run(parsed);
  if (typeof code === "number") process.exitCode = code;
}

/** the citty CommandDef of a spec (for --help rendering); running it is runSpec's job */
export async function command<F extends FlagDefs>(spec: CommandSpec<F>): Promise<CommandDef> {
  const { defineCommand } = await import("citty");
  return defineCommand({
    meta: { name: `bunker ${spec.name}`, description: spec.description, hidden: spec.hidden },
    args: toCittyArgs(spec),
    run: (ctx) => runSpec(spec, ctx.rawArgs),
  });
}

function checkArgCount(spec: CommandSpec<FlagDefs>, n: number): void {
  const { min, max } = spec.args ?? {};
  let want: string | undefined;
  if (min !== undefined && max !== undefined && min === max && n !== min) want = plural(min);
  else if (min !== undefined && n < min) want = `at least ${plural(min)}`;
  else if (max !== undefined && n > max) want = max === 0 ? "no arguments" : `at most ${plural(max)}`;
  if (want !== undefined) {
    const verb = want === "no arguments" ? "accepts" : "requires";
    // docker 28's wording (its arity errors with the usage line; only "at least" says See, the others Run)
    const see = want.startsWith("at least") ? "See" : "Run";
    throw new UsageError(`bunker: 'bunker ${spec.name}' ${verb} ${want}\n\n${usageLine(spec)}\n\n${see} 'bunker ${spec.name} --help' for more information`);
  }
}

/** "Usage:  bunker rm [OPTIONS] CONTAINER [CONTAINER...]", from the spec's positionals and arity */
function usageLine(spec: CommandSpec<FlagDefs>): string {
  const { min = 0, max } = spec.args ?? {};
  const ps = spec.positionals ?? [];
  const words = ps.map((p, i) => {
    const word = i < min ? p.name : `[${p.name}]`;
    if (i < ps.length - 1 || (max !== undefined && max <= ps.length)) return word;
    return i < min ? `${word} [${p.name}...]` : `[${p.name}...]`;
  });
  const options = Object.values(spec.flags).some((f) => !f.hidden) ? ["[OPTIONS]"] : [];
  return ["Usage: ", `bunker ${spec.name}`, ...options, ...words].join(" ");
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
