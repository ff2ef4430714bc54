/**
 * Container record → RuntimeSpec, the document init applies. Everything is decided here in the parent:
 * argv, env (HOSTNAME, HOME, TERM added like Docker), uid/gids already resolved at create, capability
 * sets, the seccomp program, masked paths. The standard mounts (/proc, /dev, /sys) are init's own.
 */
import { capabilitySpec } from "../../runtime/caps.ts";
import { DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, type ProcessSpec, type RuntimeSpec } from "../../runtime/spec.ts";
import { deviceNodesOf } from "./devices.ts";
import { cpaths } from "./store.ts";
import type { ContainerRecord } from "./types.ts";

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function containerEnv(rec: ContainerRecord): string[] {
  const env = [...rec.Config.Env];
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  if (!has("PATH")) env.unshift(DEFAULT_PATH);
  if (!has("HOSTNAME")) env.splice(1, 0, `HOSTNAME=${rec.Config.Hostname}`);
  if (rec.Config.Tty && !has("TERM")) env.push("TERM=xterm");
  if (!has("HOME")) env.push(`HOME=${rec.Bunker.Home ?? "/root"}`);
  return env;
}

export interface SeccompSource {
  (caps: string[]): string | null;
}

export function processSpec(rec: ContainerRecord, seccomp: SeccompSource | null): ProcessSpec {
  const hc = rec.HostConfig;
  const caps = capabilitySpec(DEFAULT_CAPABILITIES, hc.CapAdd ?? [], hc.CapDrop ?? [], hc.Privileged, { uid: rec.Bunker.Uid });
  return {
    args: [rec.Path, ...rec.Args],
    env: containerEnv(rec),
    cwd: rec.Config.WorkingDir || "/",
    user: { uid: rec.Bunker.Uid, gid: rec.Bunker.Gid, additionalGids: rec.Bunker.Gids },
    terminal: rec.Config.Tty,
    capabilities: caps,
    noNewPrivileges: rec.Bunker.NoNewPrivileges,
    rlimits: [],
    seccomp: rec.Bunker.SeccompUnconfined || !seccomp ? null : seccomp(caps.bounding),
    ...(hc.Init ? { init: true } : {}),
  };
}

export function buildRuntimeSpec(rec: ContainerRecord, seccomp: SeccompSource | null): RuntimeSpec {
  const hc = rec.HostConfig;
  const id = rec.Id;
  return {
    id,
    hostname: rec.Config.Hostname,
    ...(rec.Config.Domainname ? { domainname: rec.Config.Domainname } : {}),
    rootfs: { lower: rec.Bunker.Lower, upper: cpaths.upper(id), work: cpaths.work(id), merged: cpaths.merged(id), readonly: hc.ReadonlyRootfs },
    // /proc, /dev, /sys, cgroupfs are init's standard set; this list is the user's (volumes, binds)
    mounts: rec.Bunker.MountSpecs ?? [],
    process: processSpec(rec, seccomp),
    namespaces: { pid: true, mount: true, uts: hc.NetworkMode !== "host", ipc: true, net: hc.NetworkMode !== "host", cgroup: true },
    maskedPaths: hc.Privileged ? [] : DEFAULT_MASKED_PATHS,
    readonlyPaths: hc.Privileged ? [] : DEFAULT_READONLY_PATHS,
    etcFiles: { hostname: rec.HostnamePath, hosts: rec.HostsPath, resolvConf: rec.ResolvConfPath },
    sysctl: {},
    // looked up now, not at create (Docker's daemon does it at start too): a missing device fails here
    devices: deviceNodesOf(hc),
  };
}
