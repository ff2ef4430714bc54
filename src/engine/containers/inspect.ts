/**
 * Docker's `inspect` JSON for a container: the stored record with the live State merged in and
 * bunker's private fields left out.
 */
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../../runtime/spec.ts";
import { sizes, type ListedContainer } from "./list.ts";
import { dockerState, type ContainerView } from "./status.ts";
import type { HostConfig } from "./types.ts";

/**
 * Docker's HostConfig with every field it prints, in its order, at the values it prints for an unset
 * flag. The record stores only what bunker acts on; inspect must still show the full shape, because
 * scripts index into it (`.HostConfig.Ulimits`, `.HostConfig.OomScoreAdj`) and jq paths must not break.
 */
const HOST_CONFIG_SHAPE = {
  Binds: null, ContainerIDFile: "", LogConfig: null, NetworkMode: "", PortBindings: {}, RestartPolicy: null,
  AutoRemove: false, VolumeDriver: "", VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null,
  CgroupnsMode: "private", Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
  IpcMode: "private", Cgroup: "", Links: null, OomScoreAdj: 0, PidMode: "", Privileged: false,
  PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: "", UsernsMode: "",
  ShmSize: 0, Runtime: "", Isolation: "", CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: "",
  BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [],
  BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0, CpusetCpus: "", CpusetMems: "", Devices: [], DeviceCgroupRules: null,
  DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false,
  PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
};

function hostConfigView(hc: HostConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...HOST_CONFIG_SHAPE, ...hc };
  // the daemon fills these in at create; the runtime applies the defaults when the record has none
  if (!hc.Privileged && !hc.MaskedPaths?.length) out.MaskedPaths = DEFAULT_MASKED_PATHS;
  if (!hc.Privileged && !hc.ReadonlyPaths?.length) out.ReadonlyPaths = DEFAULT_READONLY_PATHS;
  out.OomKillDisable = hc.OomKillDisable ?? false;
  // the runtime's default (normalizeResources): --memory alone allows as much swap again
  if (hc.Memory > 0 && hc.MemorySwap === 0) out.MemorySwap = hc.Memory * 2;
  // the API stores capabilities normalized: "NET_ADMIN" -> "CAP_NET_ADMIN"
  const capName = (c: string) => (c.toUpperCase() === "ALL" ? "ALL" : `CAP_${c.toUpperCase().replace(/^CAP_/, "")}`);
  out.CapAdd = hc.CapAdd?.map(capName) ?? null;
  out.CapDrop = hc.CapDrop?.map(capName) ?? null;
  // omitempty in Docker's types: absent rather than null or empty
  for (const k of ["Init", "Tmpfs", "Mounts", "Sysctls", "StorageOpt", "Annotations"]) {
    const x = out[k];
    if (x === null || x === undefined || (typeof x === "object" && Object.keys(x).length === 0)) delete out[k];
  }
  return out;
}

export function inspectView(v: ContainerView, size = false): Record<string, unknown> {
  const { Bunker: _private, ...rec } = v.record;
  const hc = rec.HostConfig;
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: dockerState(v),
    Image: rec.Image,
    ResolvConfPath: rec.ResolvConfPath,
    HostnamePath: rec.HostnamePath,
    HostsPath: rec.HostsPath,
    LogPath: rec.LogPath,
    Name: rec.Name,
    RestartCount: v.state.RestartCount,
    Driver: rec.Driver,
    Platform: rec.Platform,
    MountLabel: rec.MountLabel,
    ProcessLabel: rec.ProcessLabel,
    AppArmorProfile: rec.AppArmorProfile,
    ExecIDs: null,
    HostConfig: hostConfigView(hc),
    ...(size ? withSizes(v) : {}),
    GraphDriver: rec.GraphDriver,
    Mounts: rec.Mounts,
    Config: rec.Config,
    NetworkSettings: networkSettings(hc.NetworkMode),
  };
}

function withSizes(v: ContainerView): { SizeRw: number; SizeRootFs: number } {
  const l: ListedContainer = { ...v };
  sizes(l);
  return { SizeRw: l.sizeRw ?? 0, SizeRootFs: l.sizeRootFs ?? 0 };
}

function networkSettings(mode: string): Record<string, unknown> {
  const empty = {
    Bridge: "",
    SandboxID: "",
    SandboxKey: "",
    Ports: {},
    HairpinMode: false,
    LinkLocalIPv6Address: "",
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: "",
    Gateway: "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    IPAddress: "",
    IPPrefixLen: 0,
    IPv6Gateway: "",
    MacAddress: "",
  };
  const endpoint = {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: "",
    NetworkID: "",
    EndpointID: "",
    Gateway: "",
    IPAddress: "",
    IPPrefixLen: 0,
    IPv6Gateway: "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: null,
  };
  return { ...empty, Networks: { [mode]: endpoint } };
}
