/**
 * The subset of Go's text/template that Docker users write in --format: fields (.A.B), pipelines with
 * json/index/join/upper/lower/title/len/printf/println/truncate, range/if/else/with/end, {{- -}} trimming,
 * and the "table" prefix (header row + tabwriter). Errors read like Go's ("template: ...").
 */
import { BunkerError } from "../errors.ts";
import { goJson, renderTable } from "./_output.ts";

/** `at`: offset in the template source of the pipeline `p`, for Go's "template: :LINE:COL: ..." errors */
type Node =
  | { t: "text"; s: string }
  | { t: "expr"; p: string; at: number }
  | { t: "range" | "if" | "with"; p: string; at: number; body: Node[]; alt: Node[] };

export class TemplateError extends BunkerError {
  constructor(msg: string, prefix = "") {
    super(`${prefix}template: ${msg}`, { exitCode: 1 });
  }
}

/** a template that does not parse, worded as Go's: "template: :1: unclosed action" */
export class TemplateParseError extends TemplateError {}

const lineAt = (src: string, offset: number) => src.slice(0, offset).split("\n").length;

type Token = { t: "text"; s: string } | { t: "act"; s: string; at: number };

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open === -1) {
      out.push({ t: "text", s: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === "-" && src[start + 1] === " ") {
      text = text.trimEnd();
      start++;
    }
    const close = src.indexOf("}}", start);
    if (close === -1) throw new TemplateParseError(`:${lineAt(src, open)}: unclosed action`);
    let end = close;
    let trimAfter = false;
    if (src[close - 1] === "-" && src[close - 2] === " ") {
      end = close - 1;
      trimAfter = true;
    }
    if (text) out.push({ t: "text", s: text });
    const raw = src.slice(start, end);
    out.push({ t: "act", s: raw.trim(), at: start + (raw.length - raw.trimStart().length) });
    i = close + 2;
    if (trimAfter) while (i < src.length && /\s/.test(src[i]!)) i++;
  }
  return out;
}

function parse(src: string): Node[] {
  const tokens = lex(src);
  let pos = 0;
  const block = (stopAt: Set<string>): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++]!;
      if (tok.t === "text") {
        nodes.push({ t: "text", s: tok.s });
        continue;
      }
      const word = tok.s.split(/\s+/, 1)[0]!;
      if (stopAt.has(word)) return { nodes, stop: tok.s };
      if (word === "range" || word === "if" || word === "with") {
        const body = block(new Set(["end", "else"]));
        let alt: Node[] = [];
        if (body.stop.startsWith("else")) alt = block(new Set(["end"])).nodes;
        const rest = tok.s.slice(word.length);
        const p = rest.trim();
        nodes.push({ t: word, p, at: tok.at + word.length + (rest.length - rest.trimStart().length), body: body.nodes, alt });
        continue;
      }
      if (word.startsWith("/*")) continue;
      nodes.push({ t: "expr", p: tok.s, at: tok.at });
    }
    if (stopAt.size) throw new TemplateParseError(`:${lineAt(src, src.length)}: unexpected EOF`);
    return { nodes, stop: "" };
  };
  return block(new Set()).nodes;
}

/** the arguments of one pipeline stage, with their offsets in it */
function splitArgs(s: string): Array<{ s: string; at: number }> {
  const out: Array<{ s: string; at: number }> = [];
  const re = /"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push({ s: m[0], at: m.index });
  return out;
}

/**
 * How a template run reports an unknown field. Docker runs list formats (ps, images, volume ls, ...) on
 * its formatter contexts, Go structs: `struct` names the context type in Go's "can't evaluate field X
 * in type T". Without it (inspect), Docker's CLI runs the template on the typed object and, when that
 * fails, again on the raw JSON with missingkey=error, so the error users see is the raw one:
 * "template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"".
 */
export interface TemplateOptions {
  struct?: string;
}

interface Run {
  src: string;
  opts: TemplateOptions;
}

/**
 * Which objects are Go maps, where an absent key is no error and prints "<no value>": the values of
 * the map-typed fields of Docker's types, found by their key (LogConfig.Config by its parent's). Every
 * other object of a row or an inspect document stands for a struct: an absent key is an unknown field,
 * except OMITTED ones (omitempty fields of the struct, absent from its JSON when empty).
 */
const MAP_FIELDS = new Set([
  "Labels", "Volumes", "ExposedPorts", "Tmpfs", "Options", "Networks", "Ports", "PortBindings", "Sysctls",
  "StorageOpt", "DriverOpts", "Annotations", "Data", "Status",
]);
const goMaps = new WeakSet<object>();
const marked = new WeakSet<object>();

function markMaps(v: unknown, key = "", parentKey = ""): void {
  if (!v || typeof v !== "object" || marked.has(v)) return;
  marked.add(v);
  const isMap = !Array.isArray(v) && (MAP_FIELDS.has(key) || (key === "Config" && parentKey === "LogConfig"));
  if (isMap) goMaps.add(v);
  if (Array.isArray(v)) for (const x of v) markMaps(x, "", key);
  // a map's values are named by their keys, not by field names: "Networks.Labels" is a network called Labels
  else for (const [k, x] of Object.entries(v)) markMaps(x, isMap ? "" : k, key);
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return "[]interface {}";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  return typeof v;
}

/** Go's ErrorContext: "LINE:COL" of a byte offset (COL counted from 0, as Go does) */
function location(src: string, at: number): string {
  const before = src.slice(0, at);
  const line = before.split("\n").length;
  return `${line}:${at - (before.lastIndexOf("\n") + 1)}`;
}

function unknownField(run: Run | undefined, path: string, at: number, key: string, inStruct: unknown): TemplateError {
  // a chain's node sits at its second field in Go's parse tree (".Config.Foo" → ".Foo"); the text is cut at 20
  const second = path.indexOf(".", 1);
  const pos = second > 0 && path.startsWith(".") ? at + second : at;
  const text = path.length > 20 ? `${path.slice(0, 20)}...` : path;
  const where = run ? `:${location(run.src, pos)}: executing "" at <${text}>: ` : "";
  if (inStruct === undefined) {
    return run && run.opts.struct === undefined
      ? new TemplateError(`${where}map has no entry for key "${key}"`, "template parsing error: ")
      : new TemplateError(`${where}can't evaluate field ${key} in type ${run?.opts.struct ?? "struct"}`);
  }
  return new TemplateError(`${where}can't evaluate field ${key} in type ${goType(inStruct)}`);
}

function field(v: unknown, path: string, run?: Run, at = 0): unknown {
  if (path === ".") return v;
  let cur = v;
  for (const key of path.split(".").filter(Boolean)) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur !== "object" || Array.isArray(cur)) throw unknownField(run, path, at, key, cur);
    if (!Object.hasOwn(cur, key)) {
      const omitted = run?.opts.struct === undefined && (OMITTED.has(key) || Object.hasOwn(OMITTED_ZERO, key));
      if (run && !goMaps.has(cur) && !omitted) throw unknownField(run, path, at, key, undefined);
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return "<no value>";
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[${entries.map(([k, x]) => `${k}:${show(x)}`).join(" ")}]`;
  }
  return String(v);
}

/** the rows of list commands (ps, images, volume ls): Docker's formatter contexts */
const rowContexts = new WeakSet<object>();

const funcs: Record<string, (...a: unknown[]) => unknown> = {
  // docker's json func does not escape HTML, but a row context's own MarshalJSON (json.Marshal) does
  json: (v) => (v && typeof v === "object" && rowContexts.has(v) ? goJson(v) : JSON.stringify(v ?? null)),
  index: (v, ...keys) => keys.reduce((acc: unknown, k) => (acc == null ? undefined : (acc as Record<string, unknown>)[String(k)]), v),
  join: (v, sep) => (Array.isArray(v) ? v.map(String).join(String(sep)) : show(v)),
  upper: (v) => String(v ?? "").toUpperCase(),
  lower: (v) => String(v ?? "").toLowerCase(),
  title: (v) => String(v ?? "").replace(/\b\w/g, (c) => c.toUpperCase()),
  len: (v) => (Array.isArray(v) || typeof v === "string" ? v.length : v && typeof v === "object" ? Object.keys(v).length : 0),
  println: (...a) => a.map(show).join(" ") + "\n",
  print: (...a) => a.map(show).join(""),
  printf: (fmt, ...a) => {
    let i = 0;
    return String(fmt).replace(/%[-+ #0]*\d*(?:\.\d+)?[svdqt%]/g, (m) => (m === "%%" ? "%" : m.endsWith("q") ? JSON.stringify(String(a[i++])) : show(a[i++])));
  },
  truncate: (v, n) => String(v ?? "").slice(0, Number(n)),
  split: (v, sep) => String(v ?? "").split(String(sep)),
  pad: (v, n) => String(v ?? "").padEnd(Number(n)),
};

function evalArg(arg: { s: string; at: number }, dot: unknown, run: Run): unknown {
  const tok = arg.s;
  if (tok.startsWith('"')) return JSON.parse(tok);
  if (tok.startsWith("`")) return tok.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(tok)) return Number(tok);
  if (tok === "true" || tok === "false") return tok === "true";
  if (tok.startsWith(".")) return field(dot, tok, run, arg.at);
  if (tok === "$") return dot;
  if (tok.startsWith("$.")) return field(dot, tok.slice(1), run, arg.at + 1);
  throw new TemplateError(`function "${tok}" not defined`);
}

function evalPipeline(p: string, at: number, dot: unknown, run: Run): unknown {
  let acc: unknown;
  let first = true;
  const sep = /\s\|\s/g;
  let from = 0;
  for (;;) {
    const m = sep.exec(p);
    const stage = p.slice(from, m ? m.index : p.length);
    const base = at + from;
    from = m ? m.index + m[0].length : p.length;
    const args = splitArgs(stage).map((a) => ({ s: a.s, at: base + a.at }));
    const [head, ...rest] = args;
    if (head !== undefined) {
      const fn = funcs[head.s];
      if (fn) {
        const vals = rest.map((a) => evalArg(a, dot, run));
        if (!first) vals.push(acc);
        acc = fn(...vals);
      } else {
        const target = head.s.startsWith(".") ? field(dot, head.s, run, head.at) : undefined;
        if (typeof target === "function") {
          // a method of the context, e.g. ps's {{.Label "com.example.x"}}
          const vals = rest.map((a) => evalArg(a, dot, run));
          if (!first) vals.push(acc);
          acc = (target as (...a: unknown[]) => unknown)(...vals);
        } else {
          if (rest.length) throw new TemplateError(`can't give argument to non-function ${head.s}`);
          acc = evalArg(head, dot, run);
        }
      }
      first = false;
    }
    if (!m) break;
  }
  return acc;
}

/** fields whose JSON null is a nil map or a nil pointer in Docker's Go types (the other nulls are nil slices) */
const NIL_MAPS = new Set(["Labels", "Volumes", "ExposedPorts", "Tmpfs", "Options", "Networks", "Ports", "PortBindings", "Sysctls", "StorageOpt", "DriverOpts", "Annotations", "Data"]);
const NIL_POINTERS = new Set(["MemorySwappiness", "PidsLimit", "OomKillDisable", "Init", "Healthcheck", "Health", "IPAMConfig", "Platform"]);
/** omitempty fields: absent from the JSON when empty, yet fields of the struct a template sees */
const OMITTED = new Set(["Init", "Tmpfs", "Mounts", "Sysctls", "StorageOpt", "Annotations", "Health", "Healthcheck"]);
/** more omitempty fields of the inspect types (container, image, volume), with what Go prints for their zero value */
const OMITTED_ZERO: Record<string, string> = {
  StopSignal: "", StopTimeout: "<nil>", ArgsEscaped: "false", MacAddress: "", NetworkDisabled: "false", Shell: "[]",
  SizeRw: "<nil>", SizeRootFs: "<nil>", Node: "<nil>", Parent: "", Comment: "", DockerVersion: "", Author: "",
  Container: "", Variant: "", Descriptor: "<nil>", Manifests: "[]", CreatedAt: "", Status: "map[]", UsageData: "<nil>",
  ClusterVolume: "<nil>",
};

/**
 * Docker executes inspect templates on its typed structs, so a null field prints as Go prints a nil
 * value: "[]" for a slice, "map[]" for a map, "<nil>" for a pointer; only an absent key is "<no value>".
 */
function typedNull(p: string, dot: unknown): string {
  const m = /^\s*((?:\$)?(?:\.\w+)+)\s*$/.exec(p);
  if (!m) return show(null);
  const path = m[1]!.replace(/^\$/, "");
  const key = path.slice(path.lastIndexOf(".") + 1);
  const parent = field(dot, path.slice(0, path.lastIndexOf(".")) || ".");
  if (parent && typeof parent === "object" && !Object.hasOwn(parent, key) && !goMaps.has(parent) && Object.hasOwn(OMITTED_ZERO, key)) {
    return OMITTED_ZERO[key]!;
  }
  if (!parent || typeof parent !== "object" || !(key in parent || OMITTED.has(key))) return show(null);
  return NIL_MAPS.has(key) ? "map[]" : NIL_POINTERS.has(key) ? "<nil>" : "[]";
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === "object") return Object.keys(v).length > 0;
  return Boolean(v);
}

function exec(nodes: Node[], dot: unknown, run: Run): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text") out += n.s;
    else if (n.t === "expr") {
      const v = evalPipeline(n.p, n.at, dot, run);
      out += typeof v === "string" ? v : v == null ? typedNull(n.p, dot) : show(v);
    } else {
      const v = evalPipeline(n.p, n.at, dot, run);
      if (n.t === "if") out += exec(truthy(v) ? n.body : n.alt, dot, run);
      else if (n.t === "with") out += truthy(v) ? exec(n.body, v, run) : exec(n.alt, dot, run);
      else {
        const items = Array.isArray(v) ? v : v && typeof v === "object" ? Object.values(v) : [];
        out += items.length ? items.map((it) => exec(n.body, it, run)).join("") : exec(n.alt, dot, run);
      }
    }
  }
  return out;
}

/**
 * Runs `template` on `value`. An unknown field fails like Docker (exit 1, see TemplateOptions); a key
 * absent from a map-typed field (e.g. {{.Config.Labels.missing}}) prints "<no value>".
 */
export function formatTemplate(template: string, value: unknown, opts: TemplateOptions = {}): string {
  const src = unescapeGo(template);
  markMaps(value);
  return exec(parse(src), value, { src, opts });
}

/** parses without running: a bad --format fails before anything is looked up, as Docker's does */
export function checkTemplate(template: string): void {
  parse(unescapeGo(template));
}

/** Docker treats "\t" and "\n" typed in a shell literally as escapes in --format */
function unescapeGo(s: string): string {
  return s.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
}

/**
 * Renders rows with a --format string. "table ..." adds a header made from the field names (or from
 * `headers`, e.g. {ID: "IMAGE ID"}) and aligns columns like Docker's tabwriter.
 */
export function formatRows(format: string, rows: unknown[], headers: Record<string, string> = {}, struct = "*formatter.Context"): string {
  for (const r of rows) if (r && typeof r === "object") rowContexts.add(r);
  if (format === "json") return rows.map((r) => goJson(r)).join("\n") + (rows.length ? "\n" : "");
  if (!format.startsWith("table")) return rows.map((r) => formatTemplate(format, r, { struct }) + "\n").join("");
  const body = format.slice(5).trim() || "{{json .}}";
  const cells = unescapeGo(body).split("\t");
  const head = cells.map((c) => {
    const m = /{{\s*\.(\w+)\s*}}/.exec(c);
    const name = m?.[1] ?? c.replace(/{{.*?}}/g, "").trim();
    return headers[name] ?? name.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
  });
  return renderTable(
    head,
    rows.map((r) => cells.map((c) => formatTemplate(c, r, { struct }))),
  );
}
