/**
 * From MountRequests to what a container needs: MountSpecs for the runtime (host sources resolved),
 * Docker-shaped records for inspect (Mounts, HostConfig.Binds/Mounts/Tmpfs, Config.Volumes), and the
 * anonymous volumes this container owns. Volumes are created here as Docker does at create time: named
 * ones that don't exist yet, one anonymous volume per `-v /path` and per image VOLUME not covered by a
 * request. With the image's layer dirs, empty volumes first receive the image's content (copy-up).
 */
import { existsSync, mkdirSync } from "node:fs";
import { BunkerError, NotFoundError } from "../../errors.ts";
import type { MountSpec } from "../../runtime/spec.ts";
import { populateVolume } from "../volumes/populate.ts";
import { createVolume, ensureMounted, getVolume, randomVolumeName, releaseIfUnused, removeVolume, vpaths } from "../volumes/store.ts";
import { needsMount } from "../volumes/local.ts";
import { claimVolumes, dropVolumeClaim } from "../volumes/users.ts";
import { cleanTarget } from "./parse.ts";
import type { HostMount, InspectMount, MountRequest, VolumeRequest } from "./types.ts";

export interface PlanOptions {
  containerId: string;
  /** keys of the image's Config.Volumes: each becomes an anonymous volume unless a request covers it */
  imageVolumes?: string[];
  /** the image's snapshot dirs, top-most first: enables copy-up into empty volumes */
  imageLowerDirs?: string[];
}

export interface MountPlan {
  /** the container the plan was made for (its volumes are claimed until its record exists) */
  containerId: string;
  /** RuntimeSpec.mounts, in order */
  specs: MountSpec[];
  /** ContainerRecord.Mounts */
  inspectMounts: InspectMount[];
  /** HostConfig.Binds: the -v values that name a source (host path or volume); null when none, as Docker */
  binds: string[] | null;
  /** HostConfig.Mounts: the --mount values */
  hostMounts: HostMount[];
  /** HostConfig.Tmpfs: --tmpfs target -> options */
  tmpfs: Record<string, string> | null;
  /** Config.Volumes additions: `-v /path` targets (image volumes are already in the image config) */
  configVolumes: Record<string, object>;
  /** names of anonymous volumes created for this container (removed by rm -v / run --rm) */
  anonymousVolumes: string[];
  /** every volume the container uses (ensureMounted on start, releaseIfUnused on stop) */
  volumes: string[];
}

/** Builds the plan, creating volumes and missing -v host dirs. On error its anonymous volumes are removed again (named volumes and host dirs stay, as in Docker). */
export function planMounts(requests: MountRequest[], opts: PlanOptions): MountPlan {
  const plan: MountPlan = { containerId: opts.containerId, specs: [], inspectMounts: [], binds: null, hostMounts: [], tmpfs: null, configVolumes: {}, anonymousVolumes: [], volumes: [] };
  const all = [...requests];
  const covered = new Set(requests.map((r) => cleanTarget(r.target)));
  for (const v of opts.imageVolumes ?? []) {
    if (covered.has(cleanTarget(v))) continue;
    covered.add(cleanTarget(v));
    all.push({ type: "volume", source: "", target: v, readonly: false, noCopy: false, mode: "", labels: null, driver: null, driverOpts: null, origin: "image", raw: v });
  }
  // volumes are claimed before they exist, so a concurrent `volume rm`/`prune` cannot slip in between
  // (no volume, no claim file: most containers, and two file writes off `run`'s path)
  const usesVolumes = all.some((r) => r.type === "volume");
  const claimed = all.flatMap((r) => (r.type === "volume" && r.source ? [r.source] : []));
  const claim = (name: string) => claimVolumes(opts.containerId, [...claimed, ...plan.volumes, name]);
  if (usesVolumes) claimVolumes(opts.containerId, claimed);
  try {
    for (const r of all) addOne(plan, r, opts, claim);
    if (usesVolumes) claimVolumes(opts.containerId, plan.volumes); // restart the claim's clock: copy-up may have been long
  } catch (err) {
    discardPlan(plan);
    // run/create answer every engine error before the container exists with 125, as Docker does
    if (err instanceof BunkerError && err.exitCode !== 125) throw new BunkerError(err.message, { exitCode: 125, cause: err });
    throw err;
  }
  return plan;
}

function addOne(plan: MountPlan, r: MountRequest, opts: PlanOptions, claim: (name: string) => void): void {
  if (r.hostMount) plan.hostMounts.push(r.hostMount);
  if (r.type === "bind") {
    if (!existsSync(r.source)) {
      if (!r.createSource) throw new BunkerError(`Error response from daemon: invalid mount config for type "bind": bind source path does not exist: ${r.source}`, { exitCode: 125 });
      mkdirSync(r.source, { recursive: true, mode: 0o755 });
    }
    if (r.origin === "volume-flag") (plan.binds ??= []).push(r.raw);
    const propagation = r.propagation || "rprivate";
    plan.specs.push({ destination: r.target, type: "bind", source: r.source, options: [r.nonRecursive ? "bind" : "rbind", ...(r.readonly ? ["ro"] : []), propagation] });
    plan.inspectMounts.push({ Type: "bind", Source: r.source, Destination: r.target, Mode: r.mode, RW: !r.readonly, Propagation: propagation });
    return;
  }
  if (r.type === "tmpfs") {
    if (r.origin === "tmpfs-flag") (plan.tmpfs ??= {})[r.target] = r.options.join(",");
    // Docker's defaults come first so the user's words (exec, suid, ...) win
    plan.specs.push({ destination: r.target, type: "tmpfs", source: "tmpfs", options: ["noexec", "nosuid", "nodev", ...r.options, ...(r.readonly && r.origin === "mount-flag" ? ["ro"] : [])] });
    // --tmpfs mounts are not listed in Docker's Mounts; --mount type=tmpfs ones are
    if (r.origin === "mount-flag") plan.inspectMounts.push({ Type: "tmpfs", Source: "", Destination: r.target, Mode: "", RW: !r.readonly, Propagation: "" });
    return;
  }
  addVolume(plan, r, opts, claim);
}

function addVolume(plan: MountPlan, r: VolumeRequest, opts: PlanOptions, claim: (name: string) => void): void {
  const anonymous = r.source === "";
  let name = r.source;
  if (anonymous) {
    name = randomVolumeName();
    claim(name);
    const { volume } = createVolume({ name, anonymous: true, driver: r.driver ?? undefined, labels: r.labels ? { ...r.labels } : null, options: r.driverOpts });
    name = volume.Name;
    plan.anonymousVolumes.push(name);
    if (r.origin === "volume-flag") plan.configVolumes[r.target] = {};
  } else {
    // Docker creates a named volume on first use, with the --mount volume-* options if any
    createVolume({ name, driver: r.driver ?? undefined, labels: r.labels, options: r.driverOpts });
    if (r.origin === "volume-flag") (plan.binds ??= []).push(r.raw);
  }
  const meta = getVolume(name);
  const data = vpaths.data(name);
  // copy-up: Docker fills any empty volume (not only a fresh one) unless nocopy. A volume that is a
  // mount of its own (-o type/device) is mounted for the copy and released after, as moby's
  // CopyImagePathContent does: a bind-style one keeps the files, a tmpfs one loses them again.
  if (!r.noCopy && opts.imageLowerDirs?.length) {
    if (needsMount(meta.Options)) {
      ensureMounted(name, opts.containerId);
      try {
        populateVolume(data, opts.imageLowerDirs, r.target);
      } finally {
        releaseIfUnused(name, opts.containerId);
      }
    } else populateVolume(data, opts.imageLowerDirs, r.target);
  }
  plan.volumes.push(name);
  plan.specs.push({ destination: r.target, type: "bind", source: data, options: ["rbind", ...(r.readonly ? ["ro"] : []), "rprivate"] });
  plan.inspectMounts.push({ Type: "volume", Name: name, Source: data, Destination: r.target, Driver: "local", Mode: r.mode, RW: !r.readonly, Propagation: "" });
}

/** Undo a plan that will not be used (create failed later): removes its anonymous volumes. */
export function discardPlan(plan: Pick<MountPlan, "anonymousVolumes" | "containerId">): void {
  dropVolumeClaim(plan.containerId);
  for (const name of plan.anonymousVolumes) {
    try {
      removeVolume(name, { force: true });
    } catch {}
  }
}

/**
 * For `rm -v` and `run --rm`, after the container record is gone: removes the container's anonymous
 * volumes (named ones stay, as in Docker). A volume another container also mounts is kept. Returns the
 * names removed.
 */
export function removeAnonymousVolumes(mounts: ReadonlyArray<{ Type?: string; Name?: string }>, containerId: string): string[] {
  dropVolumeClaim(containerId);
  const removed: string[] = [];
  for (const m of mounts) {
    if (m.Type !== "volume" || !m.Name) continue;
    try {
      if (!getVolume(m.Name).Anonymous) continue;
      if (removeVolume(m.Name, { force: true })) removed.push(m.Name);
    } catch (err) {
      if (!(err instanceof NotFoundError) && !(err instanceof BunkerError)) throw err;
    }
  }
  return removed;
}
