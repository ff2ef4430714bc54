/**
 * Docker's API shapes of an image (ImageSummary for `images`, ImageInspect for `inspect`), projected
 * from the stored manifest, config and records. Field names and order follow Docker's so `--format`
 * templates and scripts written for Docker work unchanged.
 */
import { join } from "node:path";
import type { ContainerConfig } from "../../image/config.ts";
import { isDangling } from "../../image/index.ts";
import { familiar, parseReference } from "../../image/reference.ts";
import { REPO_DIGEST_ANNOTATION, type Image, type ImageStore } from "../../image/store.ts";

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** unix seconds */
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

/** "busybox:latest", sorted, one per tagged name */
export function repoTags(img: Image): string[] {
  const out = new Set<string>();
  for (const r of img.records) {
    if (isDangling(r.name)) continue;
    const ref = parseReference(r.name);
    if (ref.tag !== undefined) out.add(familiar({ domain: ref.domain, path: ref.path, tag: ref.tag }));
  }
  return [...out].sort();
}

/** "busybox@sha256:...": names that are digests, and the registry digests images were pulled by */
export function repoDigests(img: Image): string[] {
  const out = new Set<string>();
  for (const r of img.records) {
    if (isDangling(r.name)) continue;
    const ref = parseReference(r.name);
    if (ref.digest !== undefined) out.add(familiar({ domain: ref.domain, path: ref.path, digest: ref.digest }));
    const pulled = r.target.annotations?.[REPO_DIGEST_ANNOTATION];
    if (pulled) {
      try {
        const p = parseReference(pulled);
        if (p.digest) out.add(familiar({ domain: p.domain, path: p.path, digest: p.digest }));
      } catch {
        // a malformed annotation is not worth failing a listing for
      }
    }
  }
  return [...out].sort();
}

export function isDanglingImage(img: Image): boolean {
  return img.records.every((r) => isDangling(r.name));
}

export function createdMs(img: Image): number {
  const t = img.config.created ? Date.parse(img.config.created) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

export function summarize(store: ImageStore, img: Image): ImageSummary {
  return {
    Id: img.id,
    ParentId: "",
    RepoTags: repoTags(img),
    RepoDigests: repoDigests(img),
    Created: Math.floor(createdMs(img) / 1000),
    Size: store.sizeOf(img),
    SharedSize: -1,
    Labels: img.config.config?.Labels ?? null,
    Containers: -1,
  };
}

/** the Config block as Docker prints it: every field, null where unset */
export function dockerConfig(c: ContainerConfig | undefined): Record<string, unknown> | null {
  if (!c) return null;
  const out: Record<string, unknown> = {
    Hostname: "",
    Domainname: "",
    User: c.User ?? "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
  };
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  Object.assign(out, { Tty: false, OpenStdin: false, StdinOnce: false, Env: c.Env ?? null, Cmd: c.Cmd ?? null });
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  if (c.ArgsEscaped) out.ArgsEscaped = true;
  Object.assign(out, {
    Image: "",
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? "",
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
  });
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.StopTimeout !== undefined) out.StopTimeout = c.StopTimeout;
  if (c.Shell) out.Shell = c.Shell;
  return out;
}

/** `docker image inspect` for one image */
export function inspectView(store: ImageStore, img: Image): Record<string, unknown> {
  const cfg = img.config;
  const tagTimes = img.records.filter((r) => !isDangling(r.name)).map((r) => r.updatedAt).sort();
  const out: Record<string, unknown> = {
    Id: img.id,
    RepoTags: repoTags(img),
    RepoDigests: repoDigests(img),
    Parent: "",
    Comment: cfg.comment ?? "",
    Created: cfg.created ?? ZERO_TIME,
    DockerVersion: cfg.docker_version ?? "",
    Author: cfg.author ?? "",
    Config: dockerConfig(cfg.config),
    Architecture: cfg.architecture,
  };
  if (cfg.variant) out.Variant = cfg.variant;
  out.Os = cfg.os;
  if (cfg["os.version"]) out.OsVersion = cfg["os.version"];
  out.Size = store.sizeOf(img);
  out.GraphDriver = graphDriver(store, img);
  out.RootFS = { Type: "layers", Layers: cfg.rootfs.diff_ids };
  out.Metadata = { LastTagTime: tagTimes[tagTimes.length - 1] ?? ZERO_TIME };
  return out;
}

/** overlay2-style dirs: the top layer's tree as UpperDir, the ones below as LowerDir */
function graphDriver(store: ImageStore, img: Image): { Data: Record<string, string>; Name: string } {
  const top = img.chainIds[img.chainIds.length - 1];
  const data: Record<string, string> = {};
  try {
    if (top !== undefined) {
      const dirs = store.snapshots.lowerDirs(top);
      const topDir = join(dirs[0]!, "..");
      if (dirs.length > 1) data.LowerDir = dirs.slice(1).join(":");
      data.MergedDir = join(topDir, "merged");
      data.UpperDir = dirs[0]!;
      data.WorkDir = join(topDir, "work");
    }
  } catch {
    // layers not unpacked (a partial pull): no directories to show
  }
  return { Data: data, Name: "overlay2" };
}
