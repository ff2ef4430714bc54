/**
 * A tiny busybox root filesystem and a hand-built RuntimeSpec for runtime tests (no image store needed).
 * `makeRootfs()` copies the static /bin/busybox into a temp dir with the applet symlinks tests use;
 * `makeSpec()` gives Docker's defaults (14 caps, masked/read-only paths, all namespaces) over an overlay of
 * that dir with a per-test upper/work/merged.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, type RuntimeSpec } from "../../src/runtime/spec.ts";

export const APPLETS = [
  "sh", "echo", "cat", "ls", "id", "hostname", "sleep", "true", "false", "mount", "ps", "grep", "tty", "stat",
  "touch", "mkdir", "readlink", "head", "env", "pwd", "wc", "test", "kill", "cut", "dd", "unshare",
];

export interface Rootfs {
  /** the read-only layer (lowerdir) */
  lower: string;
  /** parent temp dir of everything; removed by cleanup() */
  base: string;
  cleanup(): void;
}

export function makeRootfs(): Rootfs {
  const base = mkdtempSync("/tmp/bunker-rt-");
  const lower = join(base, "layer");
  for (const d of ["bin", "etc", "tmp", "root", "proc", "sys", "dev"]) mkdirSync(join(lower, d), { recursive: true });
  chmodSync(join(lower, "tmp"), 0o1777);
  copyFileSync("/bin/busybox", join(lower, "bin/busybox"));
  chmodSync(join(lower, "bin/busybox"), 0o755);
  for (const a of APPLETS) symlinkSync("busybox", join(lower, "bin", a));
  writeFileSync(join(lower, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  writeFileSync(join(lower, "etc/group"), "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
  writeFileSync(join(lower, "etc/notexec.sh"), "#!/bin/sh\necho hi\n", { mode: 0o644 });
  return { lower, base, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

let counter = 0;

/** A spec for one container over `rootfs`: its own upper/work/merged under rootfs.base. */
export function makeSpec(rootfs: Rootfs, args: string[], over: Partial<RuntimeSpec> = {}): RuntimeSpec {
  const dir = join(rootfs.base, `c${++counter}`);
  for (const d of ["upper", "work", "merged"]) mkdirSync(join(dir, d), { recursive: true });
  const hostname = join(dir, "hostname");
  writeFileSync(hostname, "testhost\n");
  const spec: RuntimeSpec = {
    id: `test${counter}`,
    hostname: "testhost",
    rootfs: { lower: [rootfs.lower], upper: join(dir, "upper"), work: join(dir, "work"), merged: join(dir, "merged"), readonly: false },
    mounts: [],
    process: {
      args,
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
      cwd: "/",
      user: { uid: 0, gid: 0, additionalGids: [] },
      terminal: false,
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES], effective: [...DEFAULT_CAPABILITIES], permitted: [...DEFAULT_CAPABILITIES],
        inheritable: [], ambient: [],
      },
      noNewPrivileges: false,
      rlimits: [],
      seccomp: null,
    },
    namespaces: { pid: true, mount: true, uts: true, ipc: true, net: true, cgroup: true },
    maskedPaths: [...DEFAULT_MASKED_PATHS],
    readonlyPaths: [...DEFAULT_READONLY_PATHS],
    etcFiles: { hostname },
    sysctl: {},
    devices: [],
  };
  return { ...spec, ...over };
}
