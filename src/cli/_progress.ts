/**
 * Docker-style progress for pull/push. On a TTY each layer owns a line that is rewritten in place
 * (`abc123: Downloading [=====>    ]  1.2MB/3.4MB`); otherwise each status change is one plain line and
 * byte counts are left out, so logs stay short and greppable. Quiet mode prints nothing.
 */
import type { ProgressEvent } from "../engine/distribution/types.ts";
import { humanSize } from "./_output.ts";

const BAR = 50;
const REDRAW_MS = 100;

export interface ProgressSink {
  (e: ProgressEvent): void;
  /** a whole-image line above the layer lines */
  line(text: string): void;
}

export function progressSink(opts: { quiet: boolean; tty?: boolean; out?: (s: string) => void }): ProgressSink {
  const out = opts.out ?? ((s: string) => process.stdout.write(s));
  if (opts.quiet) return Object.assign(() => {}, { line: () => {} });
  const tty = opts.tty ?? process.stdout.isTTY === true;
  const order: string[] = [];
  const lines = new Map<string, string>();
  const lastDraw = new Map<string, number>();
  const lastStatus = new Map<string, string>();

  const fn = (e: ProgressEvent) => {
    if (!e.id) return;
    const text = render(e, tty);
    if (!tty) {
      // plain mode: one line per status change; byte counters are TTY-only, as in docker's jsonmessage
      if (e.current !== undefined || lastStatus.get(e.id) === e.status) return;
      lastStatus.set(e.id, e.status);
      out(`${e.id}: ${text}\n`);
      return;
    }
    if (!lines.has(e.id)) {
      order.push(e.id);
      lines.set(e.id, text);
      out(`${e.id}: ${text}\n`);
      return;
    }
    const now = Date.now();
    if ((e.status === "Downloading" || e.status === "Pushing") && now - (lastDraw.get(e.id) ?? 0) < REDRAW_MS) return;
    lastDraw.set(e.id, now);
    lines.set(e.id, text);
    const up = order.length - order.indexOf(e.id);
    out(`\x1b[${up}A\r\x1b[2K${e.id}: ${text}\x1b[${up}B\r`);
  };
  return Object.assign(fn, { line: (t: string) => out(`${t}\n`) });
}

function render(e: ProgressEvent, tty: boolean): string {
  if (e.status === "Mounted from") return `Mounted from ${e.detail ?? ""}`.trim();
  if (!tty || e.current === undefined || !e.total) return e.status;
  const frac = Math.min(1, e.current / e.total);
  const fill = Math.floor(frac * BAR);
  const bar = "=".repeat(Math.max(0, fill - 1)) + (fill > 0 ? (fill === BAR ? "=" : ">") : "") + " ".repeat(BAR - fill);
  return `${e.status.padEnd(11)} [${bar}]  ${humanSize(e.current)}/${humanSize(e.total)}`;
}
