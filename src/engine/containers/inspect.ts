/**
 * Docker's `inspect` JSON for a container: the stored record with the live State merged in and
 * bunker's private fields left out.
 */
import { sizes, type ListedContainer } from "./list.ts";
import { dockerState, type ContainerView } from "./status.ts";

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
    HostConfig: hc,
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
