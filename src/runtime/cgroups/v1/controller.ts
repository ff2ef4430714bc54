/** One v1 controller = one hierarchy under <root>/<name>; each file here knows only its own knobs. */
import type { Resources } from "../types.ts";

export interface V1Controller {
  /** hierarchy name under the cgroupfs root ("memory", "cpu", ...) */
  readonly name: string;
  /**
   * Called once after mkdir with every dir from the hierarchy root (exclusive) down to the leaf, so a
   * controller can seed files the kernel leaves empty (cpuset).
   */
  prepare?(hierarchyRoot: string, dirs: string[]): void;
  /** write the limits present in `r`; `create` is false for live updates */
  apply(dir: string, r: Resources, create: boolean): void;
}
