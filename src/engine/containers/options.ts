/**
 * The options of create/run, as the engine takes them (the CLI turns flags into this), and the parsing
 * of Docker's value syntaxes: byte sizes, --cpus, --restart, -e/--env-file, -l. Errors carry exit 125
 * like every engine error of `run`; those Docker's CLI finds before asking the daemon are UsageErrors
 * (`create` exits 125 for those and 1 for the daemon's).
 */
import { readFileSync } from "node:fs";
import { BunkerError, UsageError } from "../../errors.ts";
import type { RestartPolicy } from "./types.ts";

export interface CreateOptions {
  image: string;
  /** what follows the image on the command line */
  cmd: string[];
  name?: string;
  env: string[];
  envFiles: string[];
  workdir?: string;
  user?: string;
  groupAdd: string[];
  /** undefined: the image's; "": none */
  entrypoint?: string;
  hostname?: string;
  domainname?: string;
  readOnly: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  labels: string[];
  init: boolean;
  restart?: string;
  autoRemove: boolean;
  tty: boolean;
  interactive: boolean;
  /** -d not given: attach stdout/stderr */
  attach: boolean;
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpuShares?: string;
  cpus?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: string;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  securityOpt: string[];
  network?: string;
  logOpts: string[];
  /** -v, --mount, --tmpfs as typed */
  volumes?: string[];
  mounts?: string[];
  tmpfs?: string[];
  /** --device, --device-cgroup-rule as typed */
  devices?: string[];
  deviceCgroupRules?: string[];
}

export function engineError(message: string): BunkerError {
  return new BunkerError(message, { exitCode: 125 });
}

/** a value Docker's CLI refuses before any request (pflag's "invalid argument" and its own parse checks) */
export function clientError(message: string): UsageError {
  return new UsageError(message, 125);
}

/** pflag names a flag together with its shorthand: "-m, --memory" */
const SHOWN: Record<string, string> = { "--memory": "-m, --memory", "--cpu-shares": "-c, --cpu-shares", "--env": "-e, --env", "--label": "-l, --label" };
const shownFlag = (flag: string) => SHOWN[flag] ?? flag;

/** Docker's units.RAMInBytes: binary multiples, "b/k/m/g/t/p" with optional "b" ("512m", "1g", "1024") */
export function parseMemory(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp]?)b?$/i.exec(s.trim());
  if (s.trim() === "-1") return -1;
  if (!m) throw clientError(`invalid argument "${s}" for "${shownFlag(flag)}" flag: invalid size: '${s}'`);
  const unit = m[2]!.toLowerCase();
  const mult = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[unit]!;
  return Math.floor(Number(m[1]) * mult);
}

export function parseIntFlag(s: string, flag: string): number {
  if (!/^[-+]?\d+$/.test(s)) throw clientError(`invalid argument "${s}" for "${shownFlag(flag)}" flag: strconv.ParseInt: parsing "${s}": invalid syntax`);
  return Number(s);
}

/** a rational number, negative too: the range check ("range of CPUs is from 0.01 to N.00") is the daemon's */
export function parseCpus(s: string): number {
  const n = Number(s);
  if (s.trim() === "" || !Number.isFinite(n)) throw clientError(`invalid argument "${s}" for "--cpus" flag: failed to parse ${s} as a rational number`);
  return Math.round(n * 1e9);
}

/** the CLI's ParseRestartPolicy (the "format" errors), then the daemon's ValidateRestartPolicy, with their words */
export function parseRestart(s: string | undefined): RestartPolicy {
  if (!s) return { Name: "no", MaximumRetryCount: 0 };
  const colon = s.indexOf(":");
  const name = colon < 0 ? s : s.slice(0, colon);
  const count = colon < 0 ? "" : s.slice(colon + 1);
  if (colon >= 0 && name === "") throw clientError("invalid restart policy format: no policy provided before colon");
  if (count !== "" && !/^[-+]?\d+$/.test(count)) throw clientError("invalid restart policy format: maximum retry count must be an integer");
  const n = Number(count);
  if (name === "no" || name === "always" || name === "unless-stopped") {
    if (n !== 0) throw engineError("invalid restart policy: maximum retry count can only be used with 'on-failure'");
    return { Name: name, MaximumRetryCount: 0 };
  }
  if (name === "on-failure") {
    if (n < 0) throw engineError("invalid restart policy: maximum retry count cannot be negative");
    return { Name: "on-failure", MaximumRetryCount: n };
  }
  throw engineError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
}

/** -e KEY=V keeps V; -e KEY takes the caller's value or is dropped (Docker's behaviour) */
function envItem(item: string, flag?: string): string | null {
  if (item === "" || item.startsWith("=")) {
    const what = `invalid environment variable: ${item}`;
    throw clientError(flag ? `invalid argument "${item}" for "${shownFlag(flag)}" flag: ${what}` : what);
  }
  if (item.includes("=")) return item;
  const v = process.env[item];
  return v === undefined ? null : `${item}=${v}`;
}

export function parseEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw clientError(`open ${path}: no such file or directory`);
  }
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^\s+/, "").replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    const v = envItem(line);
    if (v) out.push(v);
  }
  return out;
}

/** env files first, then -e, later entries win (as in Docker) */
export function collectEnv(envFiles: string[], env: string[]): string[] {
  const items = [...envFiles.flatMap(parseEnvFile), ...env.map((e) => envItem(e, "--env")).filter((x): x is string => x !== null)];
  return items;
}

/** image env overridden by user env, by key, keeping the image's order first */
export function mergeEnv(base: string[], over: string[]): string[] {
  const map = new Map<string, string>();
  for (const e of [...base, ...over]) {
    const k = e.includes("=") ? e.slice(0, e.indexOf("=")) : e;
    map.delete(k);
    map.set(k, e);
  }
  return [...map.values()];
}

export function parseLabels(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of items) {
    if (l === "" || l.startsWith("=")) throw clientError(`invalid argument "${l}" for "${shownFlag("--label")}" flag: invalid label '${l}': empty name`);
    const i = l.indexOf("=");
    if (i === -1) out[l] = "";
    else out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

export function parseLogOpts(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of items) {
    const i = o.indexOf("=");
    if (i <= 0) throw engineError(`invalid key-value pair: ${o}`);
    const k = o.slice(0, i);
    if (k !== "max-size" && k !== "max-file" && k !== "compress" && k !== "labels" && k !== "env" && k !== "tag")
      throw engineError(`unknown log opt '${k}' for json-file log driver`);
    out[k] = o.slice(i + 1);
  }
  return out;
}
