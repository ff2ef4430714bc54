/**
 * `import -c` / `commit -c`: Dockerfile instructions applied to an image config, with the instruction set
 * and messages of Docker's BuildFromConfig (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,
 * STOPSIGNAL, USER, VOLUME, WORKDIR). Anything else is "<instr> is not a valid change command".
 */
import { posix } from "node:path";
import { BunkerError } from "../../errors.ts";
import type { ContainerConfig } from "../../image/config.ts";

const VALID = new Set(["cmd", "entrypoint", "env", "expose", "healthcheck", "label", "onbuild", "stopsignal", "user", "volume", "workdir"]);

export class ChangeError extends BunkerError {
  constructor(message: string) {
    super(message);
    this.name = "ChangeError";
  }
}

/** checks every change before any is applied, as Docker does; returns the parsed instructions */
export function parseChanges(changes: string[]): Array<{ instr: string; args: string; original: string }> {
  const out: Array<{ instr: string; args: string; original: string }> = [];
  const text = changes.join("\n").replace(/\\\r?\n/g, "");
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1]!.toLowerCase();
    if (!VALID.has(instr)) throw new ChangeError(`${instr} is not a valid change command`);
    out.push({ instr, args: m[2]!.trim(), original: line });
  }
  return out;
}

/** returns a new config with the changes applied (the input is not modified) */
export function applyChanges(base: ContainerConfig, changes: string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(base);
  let cmdSet = false;
  for (const { instr, args } of parseChanges(changes)) {
    const need = (what = "at least one argument") => {
      if (args === "") throw new ChangeError(`${instr.toUpperCase()} requires ${what}`);
    };
    switch (instr) {
      case "cmd":
        need();
        c.Cmd = commandForm(args);
        cmdSet = true;
        break;
      case "entrypoint":
        c.Entrypoint = args === "" ? null : commandForm(args);
        if (!cmdSet) c.Cmd = null;
        break;
      case "env":
        need();
        for (const [k, v] of pairs(args, "ENV", c.Env ?? [])) setEnv(c, k, v);
        break;
      case "label":
        need();
        c.Labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of pairs(args, "LABEL", c.Env ?? [])) c.Labels[k] = v;
        break;
      case "expose":
        need();
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of words(expand(args, c.Env ?? []))) for (const key of portKeys(p)) c.ExposedPorts[key] = {};
        break;
      case "user":
        need("exactly one argument");
        c.User = expand(args, c.Env ?? []);
        break;
      case "workdir":
        need("exactly one argument");
        c.WorkingDir = posix.resolve("/", c.WorkingDir || "/", expand(args, c.Env ?? []));
        break;
      case "volume": {
        need();
        const list = isJsonArray(args) ? (JSON.parse(args) as string[]) : words(args);
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of list) {
          const path = expand(v, c.Env ?? []).trim();
          if (path === "") throw new ChangeError("VOLUME specified can not be an empty string");
          c.Volumes[path] = {};
        }
        break;
      }
      case "stopsignal": {
        need("exactly one argument");
        const sig = expand(args, c.Env ?? []);
        if (!/^(SIG)?[A-Z][A-Z0-9+-]*$|^\d+$/.test(sig)) throw new ChangeError(`Invalid signal: ${sig}`);
        c.StopSignal = sig;
        break;
      }
      case "onbuild": {
        need();
        const trigger = (/^\S+/.exec(args)?.[0] ?? "").toUpperCase();
        if (trigger === "ONBUILD") throw new ChangeError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trigger === "FROM" || trigger === "MAINTAINER") throw new ChangeError(`${trigger} isn't allowed as an ONBUILD trigger`);
        c.OnBuild = [...(c.OnBuild ?? []), args.replace(/^\S+/, trigger)];
        break;
      }
      case "healthcheck":
        need();
        c.Healthcheck = healthcheck(args);
        break;
    }
  }
  return c;
}

function isJsonArray(s: string): boolean {
  if (!s.startsWith("[")) return false;
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) && v.every((x) => typeof x === "string");
  } catch {
    return false;
  }
}

/** exec form (JSON array) as given; shell form runs through /bin/sh -c */
function commandForm(args: string): string[] {
  return isJsonArray(args) ? (JSON.parse(args) as string[]) : ["/bin/sh", "-c", args];
}

function setEnv(c: ContainerConfig, key: string, value: string): void {
  const env = [...(c.Env ?? [])];
  const i = env.findIndex((e) => e.slice(0, e.indexOf("=") === -1 ? e.length : e.indexOf("=")) === key);
  if (i === -1) env.push(`${key}=${value}`);
  else env[i] = `${key}=${value}`;
  c.Env = env;
}

/** `K=V K2="v 2"` or the legacy `K value with spaces`; values expanded against the current env */
function pairs(args: string, instr: string, env: string[]): Array<[string, string]> {
  const toks = tokens(args);
  if (!toks[0]!.includes("=")) {
    const rest = args.replace(/^\S+\s*/, "");
    if (rest === "") throw new ChangeError(`${instr} must have two arguments`);
    return [[unquote(toks[0]!), unquote(rest, env)]];
  }
  return toks.map((t) => {
    const eq = t.indexOf("=");
    if (eq <= 0) throw new ChangeError(`Syntax error - can't find = in "${t}". Must be of the form: name=value`);
    return [unquote(t.slice(0, eq)), unquote(t.slice(eq + 1), env)];
  });
}

/** splits on whitespace outside quotes; tokens keep their quotes and escapes (see unquote) */
function tokens(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "\\" && quote !== "'" && i + 1 < s.length) {
      cur += ch + s[++i];
    } else if (quote) {
      if (ch === quote) quote = null;
      cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (/\s/.test(ch)) {
      if (cur !== "") out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (quote) throw new ChangeError(`unexpected end of statement while looking for matching ${quote}`);
  if (cur !== "") out.push(cur);
  return out;
}

/** removes quotes and backslash escapes, expanding $VARs outside single quotes when `env` is given */
function unquote(t: string, env?: string[]): string {
  let out = "";
  let quote: string | null = null;
  let plain = "";
  const flush = () => {
    out += env ? expand(plain, env) : plain;
    plain = "";
  };
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]!;
    if (ch === "\\" && quote !== "'" && i + 1 < t.length) {
      flush();
      out += t[++i];
    } else if (quote && ch === quote) {
      if (quote === "'") out += plain;
      else flush();
      plain = "";
      quote = null;
    } else if (!quote && (ch === '"' || ch === "'")) {
      flush();
      quote = ch;
    } else plain += ch;
  }
  if (quote === "'") out += plain;
  else flush();
  return out;
}

function words(s: string): string[] {
  return tokens(s).map((t) => unquote(t));
}

/** $VAR and ${VAR} from the image env (Docker's shell lexer, without the :- / :+ modifiers' corner cases) */
function expand(s: string, env: string[]): string {
  const get = (k: string) => {
    const e = env.findLast((x) => x.startsWith(`${k}=`));
    return e === undefined ? undefined : e.slice(k.length + 1);
  };
  return s.replace(/\\\$|\$\{(\w+)(?::([-+])([^}]*))?\}|\$(\w+)/g, (m, braced?: string, op?: string, word?: string, bare?: string) => {
    if (m === "\\$") return "$";
    const v = get(braced ?? bare!);
    if (op === "-") return v ? v : (word ?? "");
    if (op === "+") return v ? (word ?? "") : "";
    return v ?? "";
  });
}

/** "80", "80/udp", "8000-8002/tcp" -> "80/tcp" style keys */
function portKeys(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new ChangeError(`invalid containerPort: ${spec.split("/")[0]}`);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  const proto = (m[3] ?? "tcp").toLowerCase();
  if (lo > 65535 || hi > 65535 || hi < lo) throw new ChangeError(`invalid range specified for containerPort: ${spec}`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto}`);
}

/** HEALTHCHECK [--interval=D --timeout=D --start-period=D --start-interval=D --retries=N] CMD ... | NONE */
function healthcheck(args: string): NonNullable<ContainerConfig["Healthcheck"]> {
  if (/^none$/i.test(args)) return { Test: ["NONE"] };
  const h: NonNullable<ContainerConfig["Healthcheck"]> = {};
  let rest = args;
  for (;;) {
    const m = /^--([a-z-]+)=(\S+)\s+/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
    const [, flag, value] = m as unknown as [string, string, string];
    if (flag === "retries") h.Retries = Number(value);
    else if (flag === "interval") h.Interval = goDuration(value);
    else if (flag === "timeout") h.Timeout = goDuration(value);
    else if (flag === "start-period") h.StartPeriod = goDuration(value);
    else if (flag === "start-interval") h.StartInterval = goDuration(value);
    else throw new ChangeError(`Unknown flag: ${flag}`);
  }
  const cm = /^cmd\s+([\s\S]+)$/i.exec(rest);
  if (!cm) throw new ChangeError(`Unknown type "${rest.split(/\s/)[0]}" in HEALTHCHECK (try CMD)`);
  const cmd = cm[1]!;
  return { Test: isJsonArray(cmd) ? ["CMD", ...(JSON.parse(cmd) as string[])] : ["CMD-SHELL", cmd], ...h };
}

/** Go's time.ParseDuration, in nanoseconds */
function goDuration(s: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let used = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * units[m[2]!]!;
    used = re.lastIndex;
  }
  if (used !== s.length || s === "") throw new ChangeError(`time: invalid duration "${s}"`);
  return Math.round(total);
}
