/**
 * `run`: init as PID 1 of its new pid namespace builds the container and becomes the user's program.
 * The order is the contract the unit tests check: namespaces → rootfs, standard mounts, devices and
 * /etc files → (hold for the engine: cgroup, network) → cgroup ns → cgroupfs and the user's mounts →
 * pivot_root → terminal → hostname → sysctls → masked/read-only paths → read-only root → rlimits → cwd →
 * user/caps → lookup → no_new_privs → seccomp → execve.
 * With --init, the program's process is spawned right after the cgroup namespace (before cgroupfs, the
 * user's mounts and pivot_root) and finishes the tail itself, while PID 1 stays as its reaper (reaper.ts).
 */
import type { RuntimeSpec } from "../spec.ts";
import { LaunchError } from "../errors.ts";
import { step, type InitContext } from "./context.ts";
import { mountCgroupfs } from "./cgroupfs.ts";
import { createDevices } from "./devices.ts";
import { finishProcess } from "./finish.ts";
import { mountEtcFiles, mountStandard, mountUser } from "./mounts.ts";
import { unshareCgroup, unshareNamespaces } from "./namespaces.ts";
import { maskPaths, readonlyPaths } from "./paths.ts";
import { applyRlimits, applySysctls, enterCwd, ensureCwd, setHostname } from "./process.ts";
import { makeRootPrivate, mountRootfs, pivotRoot, readonlyRoot } from "./rootfs.ts";
import { openTerminal } from "./terminal.ts";
import { releaseChild, reapUntilExit, spawnChild, waitChildLoaded } from "./reaper.ts";
import { dropBoundingSet } from "./security.ts";
import { GO_FD, MESSAGE_FD } from "../channel.ts";
import { trace } from "../trace.ts";

export function runContainer(ctx: InitContext, spec: RuntimeSpec, hold: boolean): never | Promise<never> {
  // setup creates dirs and nodes with exact modes; the user's umask is set just before execve
  trace("init: payload read");
  ctx.sys.umask(0);
  step("namespaces", () => unshareNamespaces(ctx, spec.namespaces));
  if (!spec.namespaces.mount) throw new LaunchError("namespaces", "a container needs its own mount namespace");
  // the mounts that depend on nothing the engine does are made before the hold, so they overlap with
  // the engine's cgroup work (whose first move can wait for an RCU grace period: cgroups/warm.ts)
  step("rootfs", () => makeRootPrivate(ctx));
  const rootFd = step("rootfs", () => mountRootfs(ctx, spec.rootfs));
  step("mounts", () => {
    mountStandard(ctx, spec, rootFd);
    createDevices(ctx, spec, rootFd);
    mountEtcFiles(ctx, spec, rootFd);
  });
  trace("init: mounted");
  if (hold) {
    ctx.link?.send({ t: "created" });
    if (ctx.link && !ctx.link.waitGo()) throw new LaunchError("hold", "the engine went away before start");
  }
  trace("init: go");
  step("namespaces", () => unshareCgroup(ctx, spec.namespaces));
  // --init: the program's process is spawned now, while the binary is reachable (see reaper.ts), and
  // after the cgroup moves, so it starts inside
  const child = spec.process.init ? step("reaper", () => spawnChild(ctx, spec.process)) : null;
  step("mounts", () => {
    mountCgroupfs(ctx, spec, rootFd);
    mountUser(ctx, spec, rootFd);
  });
  ctx.sys.close(rootFd);
  if (child) step("reaper", () => waitChildLoaded(child));
  step("pivot", () => pivotRoot(ctx, spec.rootfs.merged));
  const slave = spec.process.terminal
    ? step("terminal", () => openTerminal(ctx, { console: true, uid: spec.process.user.uid, size: spec.process.consoleSize }))
    : null;
  step("hostname", () => setHostname(ctx, spec));
  step("sysctl", () => applySysctls(ctx, spec.sysctl));
  step("paths", () => {
    maskPaths(ctx, spec.maskedPaths);
    readonlyPaths(ctx, spec.readonlyPaths);
  });
  // the working dir is created like Docker's WorkingDir, so before the root may turn read-only
  step("cwd", () => ensureCwd(ctx, spec.process.cwd));
  if (spec.rootfs.readonly) step("paths", () => readonlyRoot(ctx));
  step("rlimits", () => applyRlimits(ctx, spec.process));
  step("cwd", () => enterCwd(ctx, spec.process.cwd));
  trace("init: pivoted");
  if (!child) return finishProcess(ctx, spec.process, slave);
  step("caps", () => dropBoundingSet(ctx, spec.process));
  step("reaper", () => releaseChild(ctx, child, slave));
  // the engine sees exec succeed (EOF) once PID 1 lets go of its pipes
  ctx.link?.send({ t: "exec" });
  ctx.sys.close(MESSAGE_FD);
  ctx.sys.close(GO_FD);
  return reapUntilExit(ctx, child);
}
