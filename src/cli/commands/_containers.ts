/**
 * Shaping containers for the terminal the way Docker's formatter does: the STATUS words, the quoted
 * and truncated COMMAND, the ps row fields --format can name, and the per-name loop of verbs that take
 * several containers (print each name on success, each error on stderr, exit 1 if any failed).
 */
import type { ContainerView, ListedContainer } from "../../engine/containers/index.ts";
import { clientError } from "../../engine/containers/options.ts";
import { DAEMON, errorMessage } from "../../errors.ts";
import { ago, humanDuration, humanSize, shortId } from "../_output.ts";
import { log } from "../_log.ts";

export function statusText(v: ContainerView, now = Date.now()): string {
  const s = v.state;
  switch (v.status) {
    case "running":
      return `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    case "paused":
      return `Up ${humanDuration(now - Date.parse(s.StartedAt))} (Paused)`;
    case "restarting":
      return `Restarting (${s.ExitCode}) ${ago(s.FinishedAt, now)}`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    case "exited":
      return s.FinishedAt.startsWith("0001") ? `Exited (${s.ExitCode})` : `Exited (${s.ExitCode}) ${ago(s.FinishedAt, now)}`;
    default:
      return "Created";
  }
}

/** the daemon's Command (an argument holding a space is put in single quotes), Go's Ellipsis on runes, strconv.Quote */
export function commandText(v: ContainerView, trunc: boolean): string {
  let cmd = [v.record.Path, ...v.record.Args.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" ");
  const runes = [...cmd];
  if (trunc && runes.length > 20) cmd = `${runes.slice(0, 19).join("")}…`;
  return JSON.stringify(cmd);
}

function createdAt(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

/** the fields of Docker's ps --format context, in its JSON order (sorted); Platform is null as docker 28 shows for a daemon that does not report it */
export function psRow(v: ListedContainer, trunc: boolean) {
  const labels = v.record.Config.Labels ?? {};
  const mounts = v.record.Mounts as Array<{ Name?: string; Source?: string; Driver?: string }>;
  // a mount is shown by its volume name, else its source; Ellipsis(…, 15) unless --no-trunc
  const mountNames = mounts.map((m) => {
    const name = m.Name || m.Source || "";
    return trunc && [...name].length > 15 ? `${[...name].slice(0, 14).join("")}…` : name;
  });
  const row = {
    Command: commandText(v, trunc),
    CreatedAt: createdAt(v.record.Created),
    ID: trunc ? shortId(v.id) : v.id,
    Image: v.record.Config.Image,
    Labels: Object.entries(labels).map(([k, x]) => `${k}=${x}`).join(","),
    LocalVolumes: String(mounts.filter((m) => m.Driver === "local").length),
    Mounts: mountNames.join(","),
    Names: v.record.Name.slice(1),
    Networks: v.record.HostConfig.NetworkMode,
    Platform: null,
    Ports: "",
    RunningFor: ago(v.record.Created),
    Size: v.sizeRw !== undefined ? `${humanSize(v.sizeRw)} (virtual ${humanSize(v.sizeRootFs ?? 0)})` : "0B",
    State: v.status,
    Status: statusText(v),
  };
  // {{.Label "key"}}: a method in Docker's context, so not a field of its JSON
  Object.defineProperty(row, "Label", { value: (key: unknown) => labels[String(key)] ?? "", enumerable: false });
  return row;
}

/** a row with every field empty, as Docker's ps checks a --format on before listing */
export function emptyPsRow(): Record<string, unknown> {
  const row: Record<string, unknown> = { Platform: null };
  for (const k of Object.keys(PS_HEADERS)) row[k] = "";
  Object.defineProperty(row, "Label", { value: () => "", enumerable: false });
  return row;
}

/** the CLI's own check of --filter values (name=value), a flag error before any request (exit 125) */
export function checkFilterFlags(filters: string[], shown: string): void {
  for (const f of filters) {
    if (!f.includes("=")) throw clientError(`invalid argument "${f}" for "${shown}" flag: bad format of filter (expected name=value)`);
  }
}

export const PS_HEADERS: Record<string, string> = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Names: "NAMES",
  Labels: "LABELS",
  Mounts: "MOUNTS",
  Networks: "NETWORKS",
  LocalVolumes: "LOCAL VOLUMES",
};

/** an error of one container's request as Docker's CLI prints it: "Error response from daemon: ..." */
export function daemonMessage(e: unknown): string {
  const m = errorMessage(e);
  return m.startsWith("Error") ? m : `${DAEMON}${m}`;
}

/**
 * Docker's loop for stop/kill/rm/pause/...: each argument on its own, the argument echoed on success,
 * errors printed as they happen (each one the daemon's answer); the exit status is 1 when any failed.
 */
export async function forEachContainer(refs: string[], fn: (ref: string) => Promise<unknown>): Promise<number> {
  let failed = false;
  for (const ref of refs) {
    try {
      // false: the callback reported this one itself and it is not echoed (rm -f of a missing container)
      if ((await fn(ref)) !== false) process.stdout.write(`${ref}\n`);
    } catch (e) {
      failed = true;
      log.error(daemonMessage(e));
    }
  }
  return failed ? 1 : 0;
}
