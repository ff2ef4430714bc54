/** Mount flags (-v, --mount, --tmpfs) → requests → a plan of runtime mounts and Docker-shaped records. */
export { parseVolumeFlag, parseMountFlag, parseTmpfsFlag, parseMountFlags, validMountMode, ramInBytes, MountSpecError } from "./parse.ts";
export { planMounts, discardPlan, removeAnonymousVolumes, type MountPlan, type PlanOptions } from "./plan.ts";
export type { MountRequest, VolumeRequest, BindRequest, TmpfsRequest, InspectMount, HostMount } from "./types.ts";
