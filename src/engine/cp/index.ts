/**
 * `cp` both ways. Every container path is resolved inside the container's root fd (root.ts), host
 * paths from the host's "/"; data always moves as a tar stream (read.ts → extract.ts), the same
 * stream `-` reads from stdin or writes to stdout. Errors use Docker's wording.
 */
import { existsSync, lstatSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { BunkerError } from "../../errors.ts";
import { AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_PATH } from "../../sys/constants.ts";
import { linuxSys } from "../../sys/index.ts";
import type { Sys } from "../../sys/sys.ts";
import { extractInRoot } from "./extract.ts";
import { statIn, tarInRoot } from "./read.ts";
import { openContainerRoot } from "./root.ts";
import { baseName, copiesContents, CopyRuleError, planCopy } from "./rules.ts";

export { splitCpArg, planCopy, CopyRuleError } from "./rules.ts";

export interface CpOptions {
  /** keep uid/gid from the source (-a) */
  archive?: boolean;
  /** follow a symlink at SRC (-L) */
  followLink?: boolean;
}

const notFound = (path: string, ctr: string) => new BunkerError(`Error response from daemon: Could not find the file ${path} in container ${ctr}`);

/** a container path is always absolute inside the container */
const inCtr = (p: string) => (p.startsWith("/") ? p : `/${p}`);

function hostRoot(sys: Sys): number {
  return sys.openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/**
 * ctr:SRC → DEST on the host, or into `sink` as a tar stream when DEST is "-".
 */
export async function copyFromContainer(ctr: string, srcPath: string, dest: string | ((chunks: AsyncGenerator<Uint8Array>) => Promise<void>), o: CpOptions = {}, sys: Sys = linuxSys()): Promise<void> {
  const src = inCtr(srcPath);
  const root = await openContainerRoot(ctr, { view: "process", write: false }, sys);
  try {
    const st = statIn(sys, root.fd, src, !!o.followLink);
    if (!st) {
      if (o.followLink) throw new BunkerError(`Error: No such container:path: ${ctr}:${srcPath}`);
      throw notFound(srcPath, ctr);
    }
    const srcIsDir = st.isDirectory();
    if (typeof dest === "function") {
      if (/\/\.?$/.test(src) && src !== "/" && !srcIsDir) throw new BunkerError(`Error response from daemon: not a directory`);
      await dest(tarInRoot(sys, root.fd, src, { name: srcIsDir && copiesContents(src) ? "." : baseName(src), follow: !!o.followLink }));
      return;
    }
    const dst = resolveHost(dest);
    const plan = planCopy(src, srcIsDir, dest.endsWith("/") ? `${dst}/` : dst, hostInfo(dst));
    if (!isHostDir(plan.dir)) throw new CopyRuleError(`invalid output path: directory "${plan.dir}" does not exist`);
    const host = hostRoot(sys);
    try {
      const owner = o.archive ? null : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
      await extractInRoot(sys, host, plan.dir, tarInRoot(sys, root.fd, src, { name: plan.name || ".", follow: !!o.followLink }), { owner });
    } finally {
      sys.close(host);
    }
  } finally {
    root.release();
  }
}

/**
 * SRC on the host (or "-": a tar stream) → ctr:DEST. The container's files are owned by its root
 * (0:0) unless -a keeps the source's numbers.
 */
export async function copyToContainer(src: string | ReadableStream<Uint8Array>, ctr: string, destPath: string, o: CpOptions = {}, sys: Sys = linuxSys()): Promise<void> {
  const dest = inCtr(destPath);
  const owner = o.archive ? null : { uid: 0, gid: 0 };
  let srcIsDir = false;
  let hostSrc = "";
  if (typeof src === "string") {
    hostSrc = resolveHost(src);
    const st = lstatOrNull(hostSrc, !!o.followLink);
    if (!st) throw new CopyRuleError(`lstat ${hostSrc}: no such file or directory`);
    srcIsDir = st.isDirectory();
  }
  const root = await openContainerRoot(ctr, { view: "process", write: true }, sys);
  try {
    const d = statIn(sys, root.fd, dest, true);
    if (typeof src !== "string") {
      // a tar stream unpacks into an existing directory
      if (!d) throw notFound(destPath, ctr);
      if (!d.isDirectory()) throw new CopyRuleError(`destination "${ctr}:${destPath}" must be a directory`);
      await extractInRoot(sys, root.fd, dest, src, { owner });
      return;
    }
    const plan = planCopy(src, srcIsDir, dest, { exists: d !== null, isDir: d?.isDirectory() ?? false });
    const dirSt = statIn(sys, root.fd, plan.dir, true);
    if (!dirSt) throw notFound(plan.dir, ctr);
    if (!dirSt.isDirectory()) throw new BunkerError(`Error response from daemon: extraction point is not a directory`);
    const host = hostRoot(sys);
    try {
      const tar = tarInRoot(sys, host, srcIsDir && copiesContents(src) ? hostSrc : hostSrc.replace(/\/+$/, "") || "/", { name: plan.name || ".", follow: !!o.followLink });
      await extractInRoot(sys, root.fd, plan.dir, tar, { owner });
    } finally {
      sys.close(host);
    }
  } finally {
    root.release();
  }
}

/** a host path made absolute, keeping a trailing "/." or "/" meaningful to the rules */
function resolveHost(p: string): string {
  const abs = resolve(p);
  if (p.endsWith("/.")) return `${abs}/.`;
  return abs;
}

function lstatOrNull(p: string, follow: boolean) {
  try {
    return follow ? statSync(p) : lstatSync(p);
  } catch {
    return null;
  }
}

/** Docker's CLI follows a symlink at DEST on the host */
function hostInfo(p: string): { exists: boolean; isDir: boolean } {
  const st = lstatOrNull(p, true);
  return { exists: st !== null || existsLink(p), isDir: st?.isDirectory() ?? false };
}

function existsLink(p: string): boolean {
  return lstatOrNull(p, false) !== null;
}

function isHostDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
