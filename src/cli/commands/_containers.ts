/**
 * Shaping containers for the terminal the way Docker's formatter does: the STATUS words, the quoted
 * and truncated COMMAND, the ps row fields --format can name, and the per-name loop of verbs that take
 * several containers (print each name on success, each error on stderr, exit 1 if any failed).
 */
import type { ContainerView, ListedContainer } from "../../engine/containers/index.ts";
import { errorMessage } from "../../errors.ts";
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

/** Go's Ellipsis on runes then strconv.Quote */
export function commandText(v: ContainerView, trunc: boolean): string {
  let cmd = [v.record.Path, ...v.record.Args].join(" ");
  const runes = [...cmd];
  if (trunc && runes.length > 20) cmd = `${runes.slice(0, 19).join("")}…`;
  return JSON.stringify(cmd);
}

function createdAt(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

/** the fields of Docker's ps --format context */
export function psRow(v: ListedContainer, trunc: boolean) {
  const labels = v.record.Config.Labels ?? {};
  return {
    ID: trunc ? shortId(v.id) : v.id,
    Image: v.record.Config.Image,
    Command: commandText(v, trunc),
    CreatedAt: createdAt(v.record.Created),
    RunningFor: ago(v.record.Created),
    Ports: "",
    State: v.status,
    Status: statusText(v),
    Size: v.sizeRw !== undefined ? `${humanSize(v.sizeRw)} (virtual ${humanSize(v.sizeRootFs ?? 0)})` : "0B",
    Names: v.record.Name.slice(1),
    Labels: Object.entries(labels).map(([k, x]) => `${k}=${x}`).join(","),
    Mounts: "",
    Networks: v.record.HostConfig.NetworkMode,
    LocalVolumes: "0",
  };
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

/**
 * Docker's loop for stop/kill/rm/pause/...: each argument on its own, the argument echoed on success,
 * errors printed as they happen; the exit status is 1 when any failed.
 */
export async function forEachContainer(refs: string[], fn: (ref: string) => Promise<unknown>): Promise<number> {
  let failed = false;
  for (const ref of refs) {
    try {
      await fn(ref);
      process.stdout.write(`${ref}\n`);
    } catch (e) {
      failed = true;
      log.error(errorMessage(e));
    }
  }
  return failed ? 1 : 0;
}
