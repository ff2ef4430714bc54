/** A v2 controller: its knobs live in the container's single directory, once enabled in the parent. */
import type { Resources } from "../types.ts";

export interface V2Controller {
  /** name as listed in cgroup.controllers */
  readonly name: string;
  apply(dir: string, r: Resources, create: boolean): void;
}
