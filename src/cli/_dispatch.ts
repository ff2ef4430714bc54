/**
 * Global flags, routing "group sub" and aliases to a command, top-level help, and the one place where
 * errors become a line on stderr and an exit code.
 */
import { setPaths } from "../config.ts";
import { BunkerError } from "../errors.ts";
import { SysError } from "../sys/errors.ts";
import { commit, version } from "../version.ts";
import { runSpec } from "./_command.ts";
import { normalJitPolicy } from "../runtime/jit.ts";
import { log, setLogLevel } from "./_log.ts";
import { aliases, commands, groups } from "./commands/index.ts";

/**
 * Commands that finish in milliseconds keep the executable's start-up JIT policy (runtime/jit.ts); the
 * rest loop over data and get the normal one. run/start/exec switch once their container runs.
 */
const QUICK_COMMANDS = new Set([
  "version", "run", "create", "start", "stop", "restart", "kill", "pause", "unpause", "wait", "rm", "rename",
  "exec", "ps", "inspect", "container inspect", "top", "update", "image ls", "image inspect", "image tag",
  "volume create", "volume ls", "volume inspect", "volume rm", "login", "logout",
]);

/** Docker lists these shortcuts among its common commands */
const COMMON_SHORTCUTS = new Set(["images"]);

const GLOBALS_HELP = `Global Options:
      --root string        Root of persistent state (default "/var/lib/bunker", env BUNKER_ROOT)
      --run-root string    Root of runtime state (default "/run/bunker", env BUNKER_RUN)
  -D, --debug              Enable debug mode
  -l, --log-level string   Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -v, --version            Print version information and quit
`;

export async function dispatch(argv: string[]): Promise<void> {
  let debug = false;
  try {
    const rest = takeGlobals(argv, () => (debug = true));
    if (rest === null) return;
    const [key, args] = route(rest);
    if (key === null) {
      printTopHelp(rest[0]);
      if (rest.length > 0 && rest[0] !== "help" && !groups[rest[0]!]) process.exitCode = 1;
      return;
    }
    const spec = await commands[key]!.load();
    if (!QUICK_COMMANDS.has(key)) normalJitPolicy();
    await runSpec({ ...spec, name: displayName(rest, key) }, args);
  } catch (err) {
    process.exitCode = report(err, debug);
  }
}

function takeGlobals(argv: string[], onDebug: () => void): string[] | null {
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new BunkerError(`flag needs an argument: ${flag}`, { exitCode: 125 });
      return v;
    };
    if (flag === "--root") setPaths({ root: value() });
    else if (flag === "--run-root") setPaths({ run: value() });
    else if (flag === "-D" || flag === "--debug") {
      onDebug();
      setLogLevel("debug");
    } else if (flag === "-l" || flag === "--log-level") {
      const lvl = value();
      if (!setLogLevel(lvl)) throw new BunkerError(`Unable to parse logging level: ${lvl}`, { exitCode: 125 });
    } else if (flag === "-v" || flag === "--version") {
      process.stdout.write(`bunker version ${version}, build ${commit}\n`);
      return null;
    } else if (flag === "-h" || flag === "--help") {
      printTopHelp(undefined);
      return null;
    } else if (flag.startsWith("-")) {
      throw new BunkerError(`unknown flag: ${flag}\n\nUsage:  bunker [OPTIONS] COMMAND [ARG...]\n\nRun 'bunker --help' for more information`, { exitCode: 125 });
    } else break;
  }
  return argv.slice(i);
}

/** returns the command key and its own argv, or null when help should be shown */
function route(argv: string[]): [string | null, string[]] {
  const [first, second] = argv;
  if (first === undefined || first === "help") return [null, []];
  if (second !== undefined && groups[first]) {
    const joined = `${first} ${second}`;
    const key = commands[joined] ? joined : aliases[joined];
    if (key) return [key, argv.slice(2)];
  }
  if (groups[first]) {
    // `bunker container` alone shows the group's help; a sub-command it lacks is an error (docker 28's words)
    if (second === undefined || second.startsWith("-")) return [null, []];
    throw new BunkerError(`bunker: unknown command: bunker ${first} ${second}\n\nUsage:  bunker ${first}\n\nRun 'bunker ${first} --help' for more information`);
  }
  const key = commands[first] ? first : aliases[first];
  if (!key) throw new BunkerError(`bunker: unknown command: bunker ${first}\n\nRun 'bunker --help' for more information`, { exitCode: 1 });
  return [key, argv.slice(1)];
}

function displayName(argv: string[], key: string): string {
  if (groups[argv[0]!] && argv[1] !== undefined && key !== argv[0]) return `${argv[0]} ${argv[1]}`;
  return argv[0] ?? key;
}

function printTopHelp(group: string | undefined): void {
  const out: string[] = [];
  const pad = (s: string, n: number) => s + " ".repeat(Math.max(1, n - s.length));
  if (group && groups[group]) {
    out.push(`Usage:  bunker ${group} COMMAND`, "", groups[group]!, "", "Commands:");
    const members = [
      ...Object.entries(commands).map(([k, e]) => [k, e.description] as const),
      ...Object.entries(aliases).map(([a, k]) => [a, commands[k]!.description] as const),
    ]
      .filter(([k]) => k.startsWith(`${group} `))
      .sort((x, y) => x[0].localeCompare(y[0]));
    for (const [key, d] of members) out.push(`  ${pad(key.slice(group.length + 1), 12)}${d}`);
    out.push("", `Run 'bunker ${group} COMMAND --help' for more information on a command.`);
  } else {
    if (group !== undefined && group !== "help") out.push(`bunker: '${group}' is not a bunker command.`, "");
    out.push("Usage:  bunker [OPTIONS] COMMAND", "", "A Docker-compatible container engine in one file", "");
    const top = Object.entries(commands).filter(([k]) => !k.includes(" "));
    const shortcuts = Object.entries(aliases).filter(([a]) => !a.includes(" "));
    const common = [...top, ...shortcuts.map(([a, k]) => [a, commands[k]!] as const)].filter(([k, e]) => e.common && (commands[k] || COMMON_SHORTCUTS.has(k)));
    if (common.length) {
      out.push("Common Commands:");
      for (const [k, e] of common) out.push(`  ${pad(k, 12)}${e.description}`);
      out.push("");
    }
    const usedGroups = Object.entries(groups).filter(([g]) => Object.keys(commands).some((k) => k.startsWith(`${g} `)));
    if (usedGroups.length) {
      out.push("Management Commands:");
      for (const [g, d] of usedGroups) out.push(`  ${pad(g, 12)}${d}`);
      out.push("");
    }
    out.push("Commands:");
    const rows = [
      ...top.filter(([, e]) => !e.common).map(([k, e]) => [k, e.description] as const),
      ...shortcuts.filter(([a]) => !COMMON_SHORTCUTS.has(a)).map(([a, k]) => [a, commands[k]!.description] as const),
    ].sort((x, y) => x[0].localeCompare(y[0]));
    for (const [k, d] of rows) out.push(`  ${pad(k, 12)}${d}`);
    out.push("", GLOBALS_HELP, "Run 'bunker COMMAND --help' for more information on a command.");
  }
  process.stdout.write(out.join("\n") + "\n");
}

function report(err: unknown, debug: boolean): number {
  if (err instanceof BunkerError) {
    log.error(err.message);
    if (debug && err.cause) log.debug(err.cause);
    return err.exitCode;
  }
  if (err instanceof SysError) {
    log.error(`Error: ${err.message}`);
    return 125;
  }
  const e = err as Error;
  if (e && e.name === "CLIError") {
    log.error(e.message);
    return 125;
  }
  log.error(`Error: ${e?.message ?? String(err)}`);
  if (debug && e?.stack) process.stderr.write(e.stack + "\n");
  return 1;
}
