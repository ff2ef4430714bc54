import { follow, fileSize, readAll, refresh, viewOf } from "../../engine/containers/index.ts";
import { fixedNano, LineStarts, tailLines, timeNs, type LogEntry } from "../../engine/containers/logs.ts";
import { BunkerError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";

const flags = {
  follow: { type: "boolean" as const, alias: "f", description: "Follow log output" },
  tail: { type: "string" as const, alias: "n", description: 'Number of lines to show from the end of the logs (default "all")' },
  timestamps: { type: "boolean" as const, alias: "t", description: "Show timestamps" },
  since: { type: "string" as const, description: "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\")" },
  until: { type: "string" as const, description: "Show logs before a timestamp or relative (e.g. \"42m\")" },
  details: { type: "boolean" as const, description: "Show extra details provided to logs" },
};

/**
 * RFC 3339 / date, unix seconds (Docker's "seconds.nanoseconds"), or a Go duration ago ("10m",
 * "1h30m", "45s"): ns since the epoch, the precision the log's entries have
 */
export function parseTime(s: string, now = Date.now(), flag = "since"): bigint {
  const unix = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? "").slice(0, 9).padEnd(9, "0"));
  const dur = /^((\d+(\.\d+)?)(h|m|s|ms))+$/.test(s) ? s.match(/\d+(?:\.\d+)?(?:ms|h|m|s)/g) : null;
  if (dur) {
    const unit: Record<string, number> = { h: 3600e3, m: 60e3, s: 1e3, ms: 1 };
    return BigInt(Math.round(now - dur.reduce((a, p) => a + parseFloat(p) * unit[p.replace(/[\d.]/g, "")]!, 0))) * 1_000_000n;
  }
  const t = timeNs(s);
  if (t === null) throw new BunkerError(`invalid value for "${flag}": failed to parse value as time or duration: "${s}"`);
  return t;
}

const spec: CommandSpec<typeof flags> = {
  name: "logs",
  description: "Fetch the logs of a container",
  flags,
  positionals: [{ name: "CONTAINER", description: "container" }],
  args: { min: 1, max: 1 },
  async run({ flags, positionals }) {
    const v = await refresh(positionals[0]!);
    const path = v.record.LogPath;
    const since = flags.since ? parseTime(flags.since) : null;
    const until = flags.until ? parseTime(flags.until, Date.now(), "until") : null;
    const inRange = (time: string) => {
      if (since === null && until === null) return true;
      const t = timeNs(time);
      return t !== null && (since === null || t >= since) && (until === null || t <= until);
    };
    const offset = fileSize(path);
    let entries = readAll(path).filter((e) => inRange(e.time));
    if (flags.tail !== undefined && flags.tail !== "all") {
      const n = Number(flags.tail);
      if (Number.isInteger(n) && n >= 0) entries = tailLines(entries, n);
    }
    // a line the writer logged in pieces (written while output was quiet: a prompt) gets one prefix
    const starts = new LineStarts();
    const emit = (e: LogEntry) => {
      // --details puts the entry's attributes (none are recorded) and a space before each line, as Docker
      // does; the time always with nine fraction digits (Docker's RFC3339NanoFixed), whatever the file has
      const prefix = starts.next(e) ? `${flags.timestamps ? `${fixedNano(e.time)} ` : ""}${flags.details ? " " : ""}` : "";
      const line = `${prefix}${e.log}`;
      (e.stream === "stderr" ? process.stderr : process.stdout).write(line);
    };
    for (const e of entries) emit(e);
    if (!flags.follow || flags.until) return;
    const alive = () => {
      const x = viewOf(v.id);
      return !!x && (x.status === "running" || x.status === "paused" || x.status === "restarting");
    };
    for await (const e of follow(path, offset, alive)) if (inRange(e.time)) emit(e);
  },
};
export default spec;
