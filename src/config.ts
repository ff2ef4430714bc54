/**
 * Where bunker keeps state. The root holds images, containers and volumes; the run dir holds what must
 * vanish on reboot (locks, sockets, live pids). Both can be moved (--root/--run-root or BUNKER_ROOT/
 * BUNKER_RUN) so tests never touch /var/lib/bunker.
 */
import { join } from "node:path";

export interface Paths {
  root: string;
  run: string;
}

let current: Paths | undefined;

export function paths(): Paths {
  current ??= {
    root: process.env.BUNKER_ROOT || "/var/lib/bunker",
    run: process.env.BUNKER_RUN || "/run/bunker",
  };
  return current;
}

export function setPaths(p: Partial<Paths>): void {
  const base = paths();
  current = { root: p.root ?? base.root, run: p.run ?? base.run };
  // children (supervisors, init) re-read the environment
  process.env.BUNKER_ROOT = current.root;
  process.env.BUNKER_RUN = current.run;
}

export const dirs = {
  blobs: () => join(paths().root, "content", "blobs", "sha256"),
  ingest: () => join(paths().root, "content", "ingest"),
  snapshots: () => join(paths().root, "snapshots"),
  images: () => join(paths().root, "images"),
  containers: () => join(paths().root, "containers"),
  volumes: () => join(paths().root, "volumes"),
  networks: () => join(paths().root, "networks"),
  tmp: () => join(paths().root, "tmp"),
  locks: () => join(paths().run, "locks"),
};
