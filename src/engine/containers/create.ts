/**
 * create: image config + flags → a Docker-shaped record on disk (merge rules of Docker's daemon:
 * --entrypoint resets the image's Cmd, user env overrides image env by key, labels merge, hostname
 * defaults to the short id). The user is resolved here, from the image's own /etc/passwd.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { UsageError } from "../../errors.ts";
import { normalizeCapabilities } from "../../runtime/caps.ts";
import { parseSignal } from "../../sys/constants.ts";
import { resolveImageForRun, type MissingImageHooks, type ResolvedImage } from "./image-source.ts";
import { DEFAULT_MAX_FILES, DEFAULT_MAX_SIZE, parseByteSize } from "./logs.ts";
import {
  clientError, collectEnv, engineError, mergeEnv, parseCpus, parseIntFlag, parseLabels, parseLogOpts, parseMemory, parseRestart,
  type CreateOptions,
} from "./options.ts";
import { discardPlan, parseMountFlags, planMounts } from "../mounts/index.ts";
import { resolveInImage } from "../volumes/populate.ts";
import { linuxSys } from "../../sys/linux.ts";
import { discardedLimits } from "./limits.ts";
import { checkDeviceCgroupRule, parseDeviceFlag } from "./devices.ts";
import { cgroupOf, resourcesOf } from "./resources.ts";
import { cpaths, insertRecord, NAME_RE, newId, randomName } from "./store.ts";
import type { ContainerRecord, HostConfig } from "./types.ts";
import { layeredReader, resolveUser } from "./user.ts";

export interface CreateResult {
  id: string;
  warnings: string[];
}

export async function createContainer(opts: CreateOptions, hooks: MissingImageHooks = {}): Promise<CreateResult> {
  validate(opts);
  const id = newId();
  // limits are parsed and checked (Docker's rules and words) before a pull, a name or a record exists
  const { limits, warnings } = await checkLimits(id, parseLimits(opts));
  const image = await resolveImageForRun(opts.image, hooks);
  const rec = buildRecord(id, opts, image, limits);
  // resolve the user now so a typo fails `create`, not a later `start`
  const user = resolveUser(rec.Config.User, rec.HostConfig.GroupAdd ?? [], layeredReader(image.lower));
  rec.Bunker.Uid = user.uid;
  rec.Bunker.Gid = user.gid;
  rec.Bunker.Gids = user.additionalGids;
  if (!rec.Config.Env.some((e) => e.startsWith("HOME="))) rec.Bunker.Home = user.home;
  checkWorkdir(rec.Config.WorkingDir, image.lower);
  const plan = planMounts(parseMountFlags({ volume: opts.volumes, mount: opts.mounts, tmpfs: opts.tmpfs }), {
    containerId: id,
    imageVolumes: Object.keys(image.config.Volumes ?? {}),
    imageLowerDirs: image.lower,
  });
  rec.Mounts = plan.inspectMounts;
  rec.HostConfig.Binds = plan.binds;
  rec.HostConfig.Mounts = plan.hostMounts.length ? plan.hostMounts : undefined;
  rec.HostConfig.Tmpfs = plan.tmpfs;
  if (Object.keys(plan.configVolumes).length) rec.Config.Volumes = { ...(rec.Config.Volumes ?? {}), ...plan.configVolumes };
  rec.Bunker.MountSpecs = plan.specs;
  try {
    insertRecord(rec);
  } catch (err) {
    discardPlan(plan);
    throw err;
  }
  const dir = cpaths.dir(id);
  mkdirSync(cpaths.upper(id), { mode: 0o755 });
  mkdirSync(cpaths.work(id), { mode: 0o700 });
  writeEtcFiles(dir, rec.Config.Hostname, rec.Config.Domainname);
  return { id, warnings };
}

/**
 * Docker's daemon makes the working directory in the container's root at create
 * (SetupWorkingDirectory), so one that names a file in the image fails `create` (1) and `run` (125)
 * with nothing left behind. What the image lacks is made later, by init (after the volumes are mounted).
 */
function checkWorkdir(workdir: string, lower: string[]): void {
  if (workdir === "" || workdir === "/") return;
  const hit = resolveInImage(linuxSys(), lower, workdir);
  if (hit?.kind === "other") throw engineError(`Cannot mkdir: ${workdir} is not a directory`);
}

/** Go's filepath.Clean of an absolute path, as the daemon stores WorkingDir */
function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/**
 * What Docker's CLI checks while it parses the flags, before it asks for anything (a typo fails before a
 * pull); `run` makes these before its terminal check, as Docker's does.
 */
export function checkFlags(opts: CreateOptions): void {
  try {
    parseRestart(opts.restart);
  } catch (e) {
    if (e instanceof UsageError) throw e; // an unknown policy is the daemon's to refuse: validate
  }
  collectEnv(opts.envFiles, opts.env);
  parseLabels(opts.labels);
  parseLimits(opts);
  for (const d of opts.devices ?? []) parseDeviceFlag(d);
  for (const r of opts.deviceCgroupRules ?? []) checkDeviceCgroupRule(r);
  if (opts.autoRemove && opts.restart && opts.restart !== "no")
    throw clientError("conflicting options: cannot specify both --restart and --rm");
  for (const s of opts.securityOpt) {
    if (!/^(seccomp[=:]unconfined|no-new-privileges(:true|:false|=true|=false)?|apparmor[=:].*|label[=:].*)$/.test(s))
      throw clientError(`Invalid --security-opt: "${s}"`);
  }
}

function validate(opts: CreateOptions): void {
  checkFlags(opts);
  parseRestart(opts.restart);
  if (opts.name !== undefined && !NAME_RE.test(opts.name))
    throw engineError(`Invalid container name (${opts.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  if (opts.workdir !== undefined && opts.workdir !== "" && !opts.workdir.startsWith("/"))
    throw engineError(`the working directory '${opts.workdir}' is invalid, it needs to be an absolute path`);
  if (opts.stopSignal !== undefined && parseSignal(opts.stopSignal) === null) throw engineError(`Invalid signal: ${opts.stopSignal}`);
  const net = opts.network ?? "default";
  if (!["default", "bridge", "none", "host"].includes(net))
    throw engineError(`network ${net} not found`);
  // the daemon's validateCapabilities: an unknown name fails create, not the first start
  for (const [list, field] of [[opts.capAdd, "CapAdd"], [opts.capDrop, "CapDrop"]] as const) {
    try {
      normalizeCapabilities(list);
    } catch (e) {
      throw engineError(`Error response from daemon: invalid ${field}: ${(e as Error).message}`);
    }
  }
}

type Limits = Pick<
  HostConfig,
  "Memory" | "MemoryReservation" | "MemorySwap" | "NanoCpus" | "CpuShares" | "CpuPeriod" | "CpuQuota" | "CpusetCpus" | "CpusetMems" | "PidsLimit"
>;

function parseLimits(o: CreateOptions): Limits {
  return {
    Memory: o.memory !== undefined ? parseMemory(o.memory, "--memory") : 0,
    MemoryReservation: o.memoryReservation !== undefined ? parseMemory(o.memoryReservation, "--memory-reservation") : 0,
    MemorySwap: o.memorySwap !== undefined ? parseMemory(o.memorySwap, "--memory-swap") : 0,
    NanoCpus: o.cpus !== undefined ? parseCpus(o.cpus) : 0,
    CpuShares: o.cpuShares !== undefined ? parseIntFlag(o.cpuShares, "--cpu-shares") : 0,
    CpuPeriod: o.cpuPeriod !== undefined ? parseIntFlag(o.cpuPeriod, "--cpu-period") : 0,
    CpuQuota: o.cpuQuota !== undefined ? parseIntFlag(o.cpuQuota, "--cpu-quota") : 0,
    CpusetCpus: o.cpusetCpus ?? "",
    CpusetMems: o.cpusetMems ?? "",
    PidsLimit: o.pidsLimit !== undefined ? parseIntFlag(o.pidsLimit, "--pids-limit") : null,
  };
}

/**
 * The cgroup layer's own validation (the one `start` runs again when it writes the limits), against
 * this host's sysinfo, so `create -m 1` fails like Docker's and leaves nothing behind. Its warnings
 * (limits the kernel cannot apply, e.g. -m where no memory controller is enabled) are Docker's create
 * warnings, and like Docker's daemon the record keeps those limits unset.
 */
async function checkLimits(id: string, limits: Limits): Promise<{ limits: Limits; warnings: string[] }> {
  const r = resourcesOf(limits as HostConfig);
  if (Object.keys(r).length === 0) return { limits, warnings: [] }; // no limit given: no need to load the cgroup code
  const { normalizeResources, validateResources } = await import("../../runtime/cgroups/validate.ts");
  const asked = normalizeResources(r);
  const checked = validateResources(asked, (await cgroupOf(id)).sysInfo());
  return { limits: { ...limits, ...discardedLimits(asked, checked.resources) }, warnings: checked.warnings };
}

function buildRecord(id: string, o: CreateOptions, img: ResolvedImage, limits: Limits): ContainerRecord {
  const ic = img.config;
  let entrypoint: string[] | null = ic.Entrypoint ?? null;
  let cmd: string[] | null = ic.Cmd ?? null;
  if (o.entrypoint !== undefined) {
    entrypoint = o.entrypoint === "" ? null : [o.entrypoint];
    cmd = null;
  }
  if (o.cmd.length > 0) cmd = o.cmd;
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw engineError("No command specified");

  const logOpts = parseLogOpts(o.logOpts);
  const restart = parseRestart(o.restart);
  const netMode = o.network === undefined || o.network === "default" ? "bridge" : o.network;
  const hostname = o.hostname ?? (netMode === "host" ? hostHostname() : id.slice(0, 12));
  const dir = cpaths.dir(id);

  const hc: HostConfig = {
    Binds: null,
    ContainerIDFile: "",
    LogConfig: { Type: "json-file", Config: logOpts },
    NetworkMode: netMode,
    PortBindings: {},
    RestartPolicy: restart,
    AutoRemove: o.autoRemove,
    VolumeDriver: "",
    VolumesFrom: null,
    CapAdd: o.capAdd.length ? o.capAdd : null,
    CapDrop: o.capDrop.length ? o.capDrop : null,
    GroupAdd: o.groupAdd.length ? o.groupAdd : null,
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    IpcMode: "private",
    PidMode: "",
    Privileged: o.privileged,
    PublishAllPorts: false,
    ReadonlyRootfs: o.readOnly,
    SecurityOpt: o.securityOpt.length ? o.securityOpt : null,
    UTSMode: "",
    ShmSize: 64 * 1024 * 1024,
    Runtime: "bunker",
    Memory: limits.Memory,
    MemoryReservation: limits.MemoryReservation,
    MemorySwap: limits.MemorySwap,
    NanoCpus: limits.NanoCpus,
    CpuShares: limits.CpuShares,
    CpuPeriod: limits.CpuPeriod,
    CpuQuota: limits.CpuQuota,
    CpusetCpus: limits.CpusetCpus,
    CpusetMems: limits.CpusetMems,
    PidsLimit: limits.PidsLimit,
    OomKillDisable: null,
    Init: o.init ? true : null,
    MaskedPaths: [],
    ReadonlyPaths: [],
    ...(o.devices?.length ? { Devices: o.devices.map(parseDeviceFlag) } : {}),
    ...(o.deviceCgroupRules?.length ? { DeviceCgroupRules: o.deviceCgroupRules } : {}),
  };

  return {
    Id: id,
    Created: new Date().toISOString(),
    Path: argv[0]!,
    Args: argv.slice(1),
    Image: img.id,
    ResolvConfPath: join(dir, "resolv.conf"),
    HostnamePath: join(dir, "hostname"),
    HostsPath: join(dir, "hosts"),
    LogPath: cpaths.log(id),
    Name: `/${o.name ?? randomName()}`,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    HostConfig: hc,
    GraphDriver: {
      Name: "overlay2",
      Data: { LowerDir: img.lower.join(":"), UpperDir: cpaths.upper(id), WorkDir: cpaths.work(id), MergedDir: cpaths.merged(id) },
    },
    Mounts: [],
    Config: {
      Hostname: hostname,
      Domainname: o.domainname ?? "",
      User: o.user ?? ic.User ?? "",
      AttachStdin: o.interactive && o.attach,
      AttachStdout: o.attach,
      AttachStderr: o.attach,
      Tty: o.tty,
      OpenStdin: o.interactive,
      StdinOnce: o.interactive && o.attach,
      Env: mergeEnv(ic.Env ?? [], collectEnv(o.envFiles, o.env)),
      Cmd: cmd,
      Image: o.image,
      Volumes: ic.Volumes ?? null,
      WorkingDir: o.workdir ? cleanPath(o.workdir) : o.workdir ?? ic.WorkingDir ?? "",
      Entrypoint: entrypoint,
      OnBuild: null,
      Labels: { ...(ic.Labels ?? {}), ...parseLabels(o.labels) },
      ...(o.stopSignal ?? ic.StopSignal ? { StopSignal: o.stopSignal ?? ic.StopSignal } : {}),
      ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
    },
    Bunker: {
      Lower: img.lower,
      Uid: 0,
      Gid: 0,
      Gids: [],
      SeccompUnconfined: o.securityOpt.some((s) => /^seccomp[=:]unconfined$/.test(s)) || o.privileged,
      NoNewPrivileges: o.securityOpt.some((s) => /^no-new-privileges(:true|=true)?$/.test(s)),
      LogMaxSize: logOpts["max-size"] ? sizeOpt(logOpts["max-size"]) : DEFAULT_MAX_SIZE,
      LogMaxFiles: logOpts["max-file"] ? fileOpt(logOpts["max-file"]) : DEFAULT_MAX_FILES,
    },
  };
}

function sizeOpt(s: string): number {
  try {
    return parseByteSize(s);
  } catch {
    throw engineError(`failed to create task for container: invalid max-size: ${s}`);
  }
}

function fileOpt(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw engineError(`max-file cannot be less than 1`);
  return n;
}

function hostHostname(): string {
  try {
    return readFileSync("/etc/hostname", "utf8").trim();
  } catch {
    return "localhost";
  }
}

/** /etc/hostname, /etc/hosts, /etc/resolv.conf of the container (bind-mounted by init) */
function writeEtcFiles(dir: string, hostname: string, domain: string): void {
  writeFileSync(join(dir, "hostname"), `${hostname}\n`);
  const fqdn = domain ? `${hostname}.${domain} ${hostname}` : hostname;
  writeFileSync(
    join(dir, "hosts"),
    `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t${fqdn}\n`,
  );
  writeFileSync(join(dir, "resolv.conf"), containerResolvConf());
}

/** the host's resolv.conf without loopback resolvers (unreachable from the container's netns) */
function containerResolvConf(): string {
  let text = "";
  try {
    text = readFileSync("/etc/resolv.conf", "utf8");
  } catch {}
  const lines = text.split("\n").filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push("nameserver 8.8.8.8", "nameserver 8.8.4.4");
  return lines.filter((l, i, a) => l !== "" || i < a.length - 1).join("\n").trim() + "\n";
}
