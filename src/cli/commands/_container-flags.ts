/**
 * The flags shared by `create` and `run` (Docker's container options), and their translation into the
 * engine's CreateOptions. `run` adds -d and --sig-proxy on top.
 */
import { clientError, engineError, parseIntFlag, type CreateOptions } from "../../engine/containers/options.ts";
import { BunkerError, DAEMON, UsageError } from "../../errors.ts";
import type { FlagDefs, FlagValues } from "../_flags.ts";

const s = (description: string, alias?: string, valueHint?: string) => ({ type: "string" as const, description, alias, valueHint });
const l = (description: string, alias?: string, valueHint?: string) => ({ type: "list" as const, description, alias, valueHint });
const b = (description: string, alias?: string) => ({ type: "boolean" as const, description, alias });

export const createFlags = {
  name: s("Assign a name to the container", undefined, "string"),
  env: l("Set environment variables", "e", "list"),
  "env-file": l("Read in a file of environment variables", undefined, "list"),
  workdir: s("Working directory inside the container", "w", "string"),
  user: s("Username or UID (format: <name|uid>[:<group|gid>])", "u", "string"),
  "group-add": l("Add additional groups to join", undefined, "list"),
  entrypoint: s("Overwrite the default ENTRYPOINT of the image", undefined, "string"),
  hostname: s("Container host name", "h", "string"),
  domainname: s("Container NIS domain name", undefined, "string"),
  "read-only": b("Mount the container's root filesystem as read only"),
  "stop-signal": s("Signal to stop the container", undefined, "string"),
  "stop-timeout": s("Timeout (in seconds) to stop a container", undefined, "int"),
  label: l("Set meta data on a container", "l", "list"),
  init: b("Run an init inside the container that forwards signals and reaps processes"),
  restart: s('Restart policy to apply when a container exits (default "no")', undefined, "string"),
  interactive: b("Keep STDIN open even if not attached", "i"),
  tty: b("Allocate a pseudo-TTY", "t"),
  memory: s("Memory limit", "m", "bytes"),
  "memory-swap": s("Swap limit equal to memory plus swap: '-1' to enable unlimited swap", undefined, "bytes"),
  "memory-reservation": s("Memory soft limit", undefined, "bytes"),
  "cpu-shares": s("CPU shares (relative weight)", "c", "int"),
  cpus: s("Number of CPUs", undefined, "decimal"),
  "cpu-period": s("Limit CPU CFS (Completely Fair Scheduler) period", undefined, "int"),
  "cpu-quota": s("Limit CPU CFS (Completely Fair Scheduler) quota", undefined, "int"),
  "cpuset-cpus": s("CPUs in which to allow execution (0-3, 0,1)", undefined, "string"),
  "cpuset-mems": s("MEMs in which to allow execution (0-3, 0,1)", undefined, "string"),
  "pids-limit": s("Tune container pids limit (set -1 for unlimited)", undefined, "int"),
  "cap-add": l("Add Linux capabilities", undefined, "list"),
  "cap-drop": l("Drop Linux capabilities", undefined, "list"),
  privileged: b("Give extended privileges to this container"),
  device: l("Add a host device to the container", undefined, "list"),
  "device-cgroup-rule": l("Add a rule to the cgroup allowed devices list", undefined, "list"),
  "security-opt": l("Security Options", undefined, "list"),
  network: s('Connect a container to a network ("none", "host"; default: a private loopback-only network)', undefined, "network"),
  net: { type: "string" as const, description: "Alias of --network", hidden: true },
  "log-opt": l("Log driver options (max-size, max-file)", undefined, "list"),
  "log-driver": s('Logging driver for the container (only "json-file")', undefined, "string"),
  attach: l("Attach to STDIN, STDOUT or STDERR", "a", "list"),
  volume: l("Bind mount a volume", "v", "list"),
  mount: l("Attach a filesystem mount to the container", undefined, "mount"),
  tmpfs: l("Mount a tmpfs directory", undefined, "list"),
  pull: { type: "string" as const, description: 'Pull image before running ("always", "missing", "never")', valueHint: "string", default: "missing" },
  rm: b("Automatically remove the container and its associated anonymous volumes when it exits"),
  // not supported yet: taken here so the answer says so, instead of "unknown flag" (a typo's answer)
  publish: { type: "list" as const, alias: "p", description: "Publish a container's port(s) to the host", hidden: true },
  "publish-all": { type: "boolean" as const, alias: "P", description: "Publish all exposed ports to random ports", hidden: true },
  expose: { type: "list" as const, description: "Expose a port or a range of ports", hidden: true },
} satisfies FlagDefs;

export const runFlags = {
  ...createFlags,
  detach: b("Run container in background and print container ID", "d"),
  "sig-proxy": { type: "boolean" as const, description: "Proxy received signals to the process", default: true },
} satisfies FlagDefs;

export function toCreateOptions(f: FlagValues<typeof runFlags> | FlagValues<typeof createFlags>, positionals: string[], detached: boolean): CreateOptions {
  const [image, ...cmd] = positionals;
  const flags = f as FlagValues<typeof runFlags>;
  if (flags.publish.length || flags["publish-all"] || flags.expose.length) {
    const flag = flags.publish.length ? "-p, --publish" : flags["publish-all"] ? "-P, --publish-all" : "--expose";
    throw clientError(`${flag}: publishing ports is not supported by bunker yet (use --network host to share the host's ports)`);
  }
  if (flags["log-driver"] !== undefined && flags["log-driver"] !== "json-file") {
    throw engineError(`failed to initialize logging driver: logging driver "${flags["log-driver"]}" is not supported (only json-file)`);
  }
  const stopTimeout = flags["stop-timeout"] !== undefined ? parseIntFlag(flags["stop-timeout"], "--stop-timeout") : undefined;
  return {
    image: image!,
    cmd,
    name: flags.name,
    env: flags.env,
    envFiles: flags["env-file"],
    workdir: flags.workdir,
    user: flags.user,
    groupAdd: flags["group-add"],
    entrypoint: flags.entrypoint,
    hostname: flags.hostname,
    domainname: flags.domainname,
    readOnly: flags["read-only"],
    stopSignal: flags["stop-signal"],
    stopTimeout,
    labels: flags.label,
    init: flags.init,
    restart: flags.restart,
    autoRemove: flags.rm ?? false,
    tty: flags.tty,
    interactive: flags.interactive,
    attach: !detached,
    memory: flags.memory,
    memorySwap: flags["memory-swap"],
    memoryReservation: flags["memory-reservation"],
    cpuShares: flags["cpu-shares"],
    cpus: flags.cpus,
    cpuPeriod: flags["cpu-period"],
    cpuQuota: flags["cpu-quota"],
    cpusetCpus: flags["cpuset-cpus"],
    cpusetMems: flags["cpuset-mems"],
    pidsLimit: flags["pids-limit"],
    capAdd: flags["cap-add"],
    capDrop: flags["cap-drop"],
    privileged: flags.privileged,
    devices: flags.device,
    deviceCgroupRules: flags["device-cgroup-rule"],
    securityOpt: flags["security-opt"],
    network: flags.network ?? flags.net,
    logOpts: flags["log-opt"],
    volumes: flags.volume,
    mounts: flags.mount,
    tmpfs: flags.tmpfs,
  };
}

/**
 * A failed run/create as Docker's CLI shows it: what the daemon refused reads "Error response from
 * daemon: ..."; `create` exits 1 for those and 125 only for its own flag checks, `run` 125 for both
 * (126/127 when the command could not be started).
 */
export function containerError(err: unknown, command: "run" | "create"): unknown {
  if (!(err instanceof BunkerError) || err instanceof UsageError) return err;
  const message = err.message.startsWith("Error") ? err.message : `${DAEMON}${err.message}`;
  const exitCode = command === "create" && err.exitCode === 125 ? 1 : err.exitCode;
  if (message === err.message && exitCode === err.exitCode) return err;
  return new BunkerError(message, { exitCode, cause: err });
}
