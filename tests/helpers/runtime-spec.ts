// A RuntimeSpec with Docker's defaults over made-up paths, for unit tests that never touch the disk.
import { DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, type RuntimeSpec } from "../../src/runtime/spec.ts";

export function makeSpecFor(args: string[]): RuntimeSpec {
  const caps = [...DEFAULT_CAPABILITIES];
  return {
    id: "unit",
    hostname: "testhost",
    rootfs: { lower: ["/s/2/fs", "/s/1/fs"], upper: "/c/upper", work: "/c/work", merged: "/c/merged", readonly: false },
    mounts: [],
    process: {
      args,
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      cwd: "/",
      user: { uid: 0, gid: 0, additionalGids: [] },
      terminal: false,
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: false,
      rlimits: [],
      seccomp: Buffer.from(new Uint8Array(8)).toString("base64"),
    },
    namespaces: { pid: true, mount: true, uts: true, ipc: true, net: true, cgroup: true },
    maskedPaths: [...DEFAULT_MASKED_PATHS],
    readonlyPaths: [...DEFAULT_READONLY_PATHS],
    etcFiles: { hostname: "/c/hostname" },
    sysctl: {},
    devices: [],
  };
}
