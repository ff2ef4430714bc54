/**
 * What init needs to build one container: an OCI-runtime-config-like document, made by the engine from
 * the image config + flags, serialized to init as JSON. Everything is decided here, in the parent
 * (crun's "prepare in the parent, apply in the child"): capability masks, the seccomp BPF program,
 * mount list, uid/gid numbers already resolved from the image's /etc/passwd.
 */
export interface RootfsSpec {
  /** read-only snapshot dirs, top-most first (overlay lowerdir order) */
  lower: string[];
  /** per-container overlay upper and work dirs */
  upper: string;
  work: string;
  /** where the overlay is mounted on the host (containers/<id>/merged) */
  merged: string;
  readonly: boolean;
}

export interface MountSpec {
  /** absolute path inside the container */
  destination: string;
  type: "bind" | "tmpfs" | "proc" | "sysfs" | "devpts" | "mqueue" | "cgroup" | "cgroup2" | "overlay";
  source: string;
  /** fstab-style: "ro", "nosuid", "nodev", "noexec", "rbind", "size=64m", "mode=1777", ... */
  options: string[];
}

export interface UserSpec {
  uid: number;
  gid: number;
  additionalGids: number[];
  umask?: number;
}

export interface CapabilitySpec {
  /** capability names, "CAP_CHOWN" style */
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  user: UserSpec;
  terminal: boolean;
  /**
   * with terminal: the pty's size before the program runs (the caller's terminal), so a program that
   * asks at once sees it; absent = 0x0 until someone resizes (Docker's detached -t before attach)
   */
  consoleSize?: { rows: number; cols: number };
  capabilities: CapabilitySpec;
  noNewPrivileges: boolean;
  /** RLIMIT_NOFILE style names; only set when asked (the bounding set here lacks CAP_SYS_RESOURCE) */
  rlimits: Array<{ type: string; soft: number; hard: number }>;
  /** packed struct sock_filter[] as base64, or null for unconfined */
  seccomp: string | null;
  /** a tiny reaper as PID 1 (--init) that runs args as its child */
  init?: boolean;
}

export interface NamespacesSpec {
  pid: boolean;
  mount: boolean;
  uts: boolean;
  ipc: boolean;
  net: boolean;
  cgroup: boolean;
  /** join an existing netns (path) instead of creating one (--network container:x, or a prepared ns) */
  netPath?: string;
}

export interface RuntimeSpec {
  id: string;
  hostname: string;
  domainname?: string;
  rootfs: RootfsSpec;
  mounts: MountSpec[];
  process: ProcessSpec;
  namespaces: NamespacesSpec;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** files the engine wrote for the container: bind-mounted onto /etc/hostname, /etc/hosts, /etc/resolv.conf */
  etcFiles: { hostname?: string; hosts?: string; resolvConf?: string };
  /** sysctl name -> value, written under /proc/sys inside the namespaces */
  sysctl: Record<string, string>;
  /**
   * The container's cgroup dir on the host when the engine put it on cgroup v2. /sys/fs/cgroup inside is
   * then that cgroup2 alone: on a hybrid host init also sits in v1 hierarchies, but those are the
   * engine's own cgroups, not the container's, and must not be shown.
   */
  cgroupV2Dir?: string;
  /** Devices created in /dev (besides Docker's defaults) */
  devices: Array<{ path: string; type: "c" | "b"; major: number; minor: number; mode: number; uid: number; gid: number }>;
}

/** Docker's default masked and read-only /proc and /sys paths */
export const DEFAULT_MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

export const DEFAULT_READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** Docker's 14 default capabilities */
export const DEFAULT_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];
