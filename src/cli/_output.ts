/** Docker-shaped output: tabwriter tables, human sizes and durations. */

/** Go's tabwriter as Docker sets it up (minwidth 10, padding 3): a cell is max(10, widest + 3) wide. */
export function renderTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  const lines = all.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(Math.max(10, widths[c]! + 3))))
      .join("")
      .trimEnd(),
  );
  return lines.join("\n") + "\n";
}

/**
 * units.HumanSizeWithPrecision: decimal units, `digits` significant digits. Tables use 3 ("4.26MB");
 * units.HumanSize (4 digits, "4.261MB") is what prune's "Total reclaimed space" prints.
 */
export function humanSize(bytes: number, digits = 3): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${formatG(n, digits)}${units[i]}`;
}

/** units.BytesSize: binary units with 4 significant digits ("1.5GiB"), as in `docker stats`. */
export function binarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let n = bytes;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${formatG(n, 4)}${units[i]}`;
}

/** Go's %.Ng: N significant digits, trailing zeros dropped. */
function formatG(n: number, digits: number): string {
  if (n === 0) return "0";
  const s = n.toPrecision(digits);
  if (s.includes("e")) return String(Number(s));
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** units.HumanDuration, the words in "Up 5 minutes" and "2 weeks ago". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60000);
  const hours = Math.floor(ms / 3600000 + 0.5);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3600000 / 24 / 365)} years`;
}

export function ago(iso: string | number | Date, now = Date.now()): string {
  const t = new Date(iso).getTime();
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

/** 12-hex short id from "sha256:<hex>" or a bare hex id */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Go's json.Marshal escapes <, > and & (HTML safety); docker's inspect, --format json and {{json}} show them so */
export function goJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

export function writeOut(text: string): void {
  process.stdout.write(text);
}
