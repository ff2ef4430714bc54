/**
 * The container record as stored on disk. `config.json` is Docker-shaped so `inspect` is a projection of
 * it; the parts that change while a container lives (status, exit code, restart count) are kept in a
 * separate small `state.json` so the big record is written once and never races with the supervisor.
 */

export type ContainerStatus = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface RestartPolicy {
  Name: "" | "no" | "always" | "unless-stopped" | "on-failure";
  MaximumRetryCount: number;
}

export interface HostConfig {
  Binds: string[] | null;
  /** --mount values in the API's shape */
  Mounts?: unknown[];
  /** --tmpfs target -> options */
  Tmpfs?: Record<string, string> | null;
  ContainerIDFile: string;
  LogConfig: { Type: string; Config: Record<string, string> };
  NetworkMode: string;
  PortBindings: Record<string, unknown>;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  VolumeDriver: string;
  VolumesFrom: string[] | null;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  GroupAdd: string[] | null;
  Dns: string[];
  DnsOptions: string[];
  DnsSearch: string[];
  ExtraHosts: string[] | null;
  IpcMode: string;
  PidMode: string;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  UTSMode: string;
  ShmSize: number;
  Runtime: string;
  Memory: number;
  MemoryReservation: number;
  MemorySwap: number;
  NanoCpus: number;
  CpuShares: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpusetCpus: string;
  CpusetMems: string;
  PidsLimit: number | null;
  OomKillDisable: boolean | null;
  Init: boolean | null;
  MaskedPaths: string[];
  ReadonlyPaths: string[];
  /** --device as typed (absent in records made before the flag existed) */
  Devices?: DeviceMapping[];
  /** --device-cgroup-rule as typed */
  DeviceCgroupRules?: string[] | null;
}

/** one --device value, in the API's shape */
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

/** What is written once at create (and on rename / update). */
export interface ContainerRecord {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  /** image id, "sha256:<hex>" */
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  HostConfig: HostConfig;
  GraphDriver: { Name: string; Data: Record<string, string> };
  /** Docker's Mounts: { Type, Name?, Source, Destination, Mode, RW, ... } */
  Mounts: Array<{ Type?: string; Name?: string }>;
  Config: ContainerConfig;
  /** bunker's own data, not shown by inspect */
  Bunker: BunkerExtras;
}

export interface BunkerExtras {
  /** snapshot dirs of the image, top-most first (overlay lowerdir order) */
  Lower: string[];
  /** the runtime mounts planned at create (volumes, binds, tmpfs), in order */
  MountSpecs?: import("../../runtime/spec.ts").MountSpec[];
  /** resolved identity, so start never has to read the image again */
  Uid: number;
  Gid: number;
  Gids: number[];
  /** HOME from the user's passwd entry, when the env does not set one */
  Home?: string;
  SeccompUnconfined: boolean;
  NoNewPrivileges: boolean;
  /** --log-opt max-size / max-file as numbers */
  LogMaxSize: number;
  LogMaxFiles: number;
}

/** Changes during a container's life; small, rewritten atomically under the container's lock. */
export interface StateFile {
  Status: ContainerStatus;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  OOMKilled: boolean;
  RestartCount: number;
  /** set by stop/kill from the user: the restart policy must not bring the container back */
  ManuallyStopped: boolean;
  /** "removing" in progress (rm -f racing a restart) */
  Removing?: boolean;
  /**
   * The `rm -f` doing it (pid + start time): an --rm container's supervisor leaves the removal to it
   * while it lives, and does it itself when that rm was killed half-way.
   */
  RemovingBy?: { Pid: number; Start: number };
  /**
   * A commit paused the container for its read: that process (pid + start time). If it is gone with
   * the container still paused (killed mid-commit), the next refresh thaws it.
   */
  PausedBy?: { Pid: number; Start: number };
}

/** In the run dir: gone after a reboot, which is how a rebooted container reads as exited. */
export interface LiveFile {
  /** the container's PID 1 as seen from the host, and its /proc/<pid>/stat start time */
  Pid: number;
  PidStart: number;
  /** the process that waits on PID 1: a detached supervisor, or the CLI of an attached run */
  SupervisorPid: number;
  SupervisorStart: number;
}

export const ZERO_TIME = "0001-01-01T00:00:00Z";

export function emptyState(): StateFile {
  return {
    Status: "created",
    ExitCode: 0,
    Error: "",
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
    OOMKilled: false,
    RestartCount: 0,
    ManuallyStopped: false,
  };
}

/** youki's guards: each verb asks before acting, on a freshly refreshed status. */
export const can = {
  start: (s: ContainerStatus) => s === "created" || s === "exited" || s === "dead",
  stop: (s: ContainerStatus) => s === "running" || s === "paused" || s === "restarting",
  kill: (s: ContainerStatus) => s === "running" || s === "paused" || s === "restarting",
  pause: (s: ContainerStatus) => s === "running",
  unpause: (s: ContainerStatus) => s === "paused",
  exec: (s: ContainerStatus) => s === "running",
  /** without -f */
  remove: (s: ContainerStatus) => s === "created" || s === "exited" || s === "dead",
};
