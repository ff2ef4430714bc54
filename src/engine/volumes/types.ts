/** A local volume as stored in volumes/<name>/volume.json and shown (projected) by `volume inspect`. */
export interface VolumeMeta {
  Name: string;
  Driver: "local";
  /** null when none were given (Docker shows null for volumes created implicitly by run) */
  Labels: Record<string, string> | null;
  /** the local driver's -o map: type, device, o */
  Options: Record<string, string> | null;
  /** RFC 3339, whole seconds, UTC */
  CreatedAt: string;
  /** made for `-v /path` or an image VOLUME: removed by rm -v / run --rm, and by plain `volume prune` */
  Anonymous: boolean;
}

/** `docker volume inspect` shape, fields in Docker's order */
export interface VolumeView {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: "local";
}

/** Docker (23+) marks anonymous volumes with this label; prune without --all removes only those. */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";
