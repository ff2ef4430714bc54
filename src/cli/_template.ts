/**
 * The subset of Go's text/template that Docker users write in --format: fields (.A.B), pipelines with
 * json/index/join/upper/lower/title/len/printf/println/truncate, range/if/else/with/end, {{- -}} trimming,
 * and the "table" prefix (header row + tabwriter). Errors read like Go's ("template: ...").
 */
import { BunkerError } from "../errors.ts";
import { goJson, renderTable } from "./_output.ts";

type Node =
  | { t: "text"; s: string }
  | { t: "expr"; p: string }
  | { t: "range" | "if" | "with"; p: string; body: Node[]; alt: Node[] };

export class TemplateError extends BunkerError {
  constructor(msg: string) {
    super(`template: ${msg}`, { exitCode: 1 });
  }
}

function lex(src: string): Array<{ t: "text"; s: string } | { t: "act"; s: string }> {
  const out: Array<{ t: "text"; s: string } | { t: "act"; s: string }> = [];
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
    if (close === -1) throw new TemplateError(`unclosed action in "${src}"`);
    let end = close;
    let trimAfter = false;
    if (src[close - 1] === "-" && src[close - 2] === " ") {
      end = close - 1;
      trimAfter = true;
    }
    if (text) out.push({ t: "text", s: text });
    out.push({ t: "act", s: src.slice(start, end).trim() });
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
        nodes.push({ t: word, p: tok.s.slice(word.length).trim(), body: body.nodes, alt });
        continue;
      }
      if (word.startsWith("/*")) continue;
      nodes.push({ t: "expr", p: tok.s });
    }
    if (stopAt.size) throw new TemplateError(`unexpected EOF in "${src}"`);
    return { nodes, stop: "" };
  };
  return block(new Set()).nodes;
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[0]);
  return out;
}

function field(v: unknown, path: string): unknown {
  if (path === ".") return v;
  let cur = v;
  for (const key of path.split(".").filter(Boolean)) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur !== "object") throw new TemplateError(`can't evaluate field ${key} in type ${typeof cur}`);
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

function evalArg(tok: string, dot: unknown): unknown {
  if (tok.startsWith('"')) return JSON.parse(tok);
  if (tok.startsWith("`")) return tok.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(tok)) return Number(tok);
  if (tok === "true" || tok === "false") return tok === "true";
  if (tok.startsWith(".")) return field(dot, tok);
  if (tok === "$") return dot;
  if (tok.startsWith("$.")) return field(dot, tok.slice(1));
  throw new TemplateError(`function "${tok}" not defined`);
}

function evalPipeline(p: string, dot: unknown): unknown {
  let acc: unknown;
  let first = true;
  for (const stage of p.split(/\s\|\s/)) {
    const args = splitArgs(stage.trim());
    const [head, ...rest] = args;
    if (head === undefined) continue;
    const fn = funcs[head];
    if (fn) {
      const vals = rest.map((a) => evalArg(a, dot));
      if (!first) vals.push(acc);
      acc = fn(...vals);
    } else {
      const target = head.startsWith(".") ? field(dot, head) : undefined;
      if (typeof target === "function") {
        // a method of the context, e.g. ps's {{.Label "com.example.x"}}
        const vals = rest.map((a) => evalArg(a, dot));
        if (!first) vals.push(acc);
        acc = (target as (...a: unknown[]) => unknown)(...vals);
      } else {
        if (rest.length) throw new TemplateError(`can't give argument to non-function ${head}`);
        acc = evalArg(head, dot);
      }
    }
    first = false;
  }
  return acc;
}

/** fields whose JSON null is a nil map or a nil pointer in Docker's Go types (the other nulls are nil slices) */
const NIL_MAPS = new Set(["Labels", "Volumes", "ExposedPorts", "Tmpfs", "Options", "Networks", "Ports", "PortBindings", "Sysctls", "StorageOpt", "DriverOpts", "Annotations", "Data"]);
const NIL_POINTERS = new Set(["MemorySwappiness", "PidsLimit", "OomKillDisable", "Init", "Healthcheck", "Health", "IPAMConfig", "Platform"]);
/** omitempty fields: absent from the JSON when empty, yet fields of the struct a template sees */
const OMITTED = new Set(["Init", "Tmpfs", "Mounts", "Sysctls", "StorageOpt", "Annotations", "Health", "Healthcheck"]);

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
  if (!parent || typeof parent !== "object" || !(key in parent || OMITTED.has(key))) return show(null);
  return NIL_MAPS.has(key) ? "map[]" : NIL_POINTERS.has(key) ? "<nil>" : "[]";
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === "object") return Object.keys(v).length > 0;
  return Boolean(v);
}

function exec(nodes: Node[], dot: unknown): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text") out += n.s;
    else if (n.t === "expr") {
      const v = evalPipeline(n.p, dot);
      out += typeof v === "string" ? v : v == null ? typedNull(n.p, dot) : show(v);
    } else {
      const v = evalPipeline(n.p, dot);
      if (n.t === "if") out += exec(truthy(v) ? n.body : n.alt, dot);
      else if (n.t === "with") out += truthy(v) ? exec(n.body, v) : exec(n.alt, dot);
      else {
        const items = Array.isArray(v) ? v : v && typeof v === "object" ? Object.values(v) : [];
        out += items.length ? items.map((it) => exec(n.body, it)).join("") : exec(n.alt, dot);
      }
    }
  }
  return out;
}

export function formatTemplate(template: string, value: unknown): string {
  return exec(parse(unescapeGo(template)), value);
}

/** Docker treats "\t" and "\n" typed in a shell literally as escapes in --format */
function unescapeGo(s: string): string {
  return s.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
}

/**
 * Renders rows with a --format string. "table ..." adds a header made from the field names (or from
 * `headers`, e.g. {ID: "IMAGE ID"}) and aligns columns like Docker's tabwriter.
 */
export function formatRows(format: string, rows: unknown[], headers: Record<string, string> = {}): string {
  for (const r of rows) if (r && typeof r === "object") rowContexts.add(r);
  if (format === "json") return rows.map((r) => goJson(r)).join("\n") + (rows.length ? "\n" : "");
  if (!format.startsWith("table")) return rows.map((r) => formatTemplate(format, r) + "\n").join("");
  const body = format.slice(5).trim() || "{{json .}}";
  const cells = unescapeGo(body).split("\t");
  const head = cells.map((c) => {
    const m = /{{\s*\.(\w+)\s*}}/.exec(c);
    const name = m?.[1] ?? c.replace(/{{.*?}}/g, "").trim();
    return headers[name] ?? name.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
  });
  return renderTable(
    head,
    rows.map((r) => cells.map((c) => formatTemplate(c, r))),
  );
}
