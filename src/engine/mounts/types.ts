/** One mount a user (or the image) asked for, after parsing and before anything exists on disk. */
export type MountRequest = VolumeRequest | BindRequest | TmpfsRequest;

interface Common {
  /** absolute path inside the container, as typed (Docker reports duplicates with this spelling) */
  target: string;
  readonly: boolean;
  /** where it came from: -v, --mount, --tmpfs, or an image VOLUME entry */
  origin: "volume-flag" | "mount-flag" | "tmpfs-flag" | "image";
  /** the flag value as typed (after relative host paths were made absolute): becomes HostConfig.Binds */
  raw: string;
  /** --mount only: the parsed flag in the API's shape (HostConfig.Mounts) */
  hostMount?: HostMount;
}

export interface VolumeRequest extends Common {
  type: "volume";
  /** volume name; "" for an anonymous volume */
  source: string;
  /** don't copy the image's content into a new empty volume */
  noCopy: boolean;
  /** Docker's Mode column: the -v mode string ("ro", "ro,nocopy"), "z" for --mount volumes */
  mode: string;
  /** --mount volume-label / volume-driver / volume-opt: used when the volume is created here */
  labels: Record<string, string> | null;
  driver: string | null;
  driverOpts: Record<string, string> | null;
}

export interface BindRequest extends Common {
  type: "bind";
  /** absolute host path */
  source: string;
  /** "" means Docker's default (rprivate) */
  propagation: string;
  /** bind-nonrecursive: MS_BIND without MS_REC */
  nonRecursive: boolean;
  /** -v creates a missing host dir; --mount refuses it */
  createSource: boolean;
  mode: string;
}

export interface TmpfsRequest extends Common {
  type: "tmpfs";
  /** filesystem options ("size=64m", "mode=1777", "exec"), added after Docker's defaults */
  options: string[];
}

/** The container-record parts that describe mounts, in Docker's shapes. */
export interface InspectMount {
  Type: "volume" | "bind" | "tmpfs";
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** HostConfig.Mounts entries (what --mount was given), as the Docker API stores them. */
export interface HostMount {
  Type: "volume" | "bind" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}
