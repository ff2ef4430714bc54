// Harness for scripts/bench-run: compiled on its own (so a half-finished CLI elsewhere cannot break the
// benchmark), it either is init (`__init`, as launch() re-executes itself) or launches one container:
//   _bench-launch <lowerdir> <cmd> [args...]   → exit status of cmd
// with Docker's defaults (14 caps, masked paths, all namespaces) over an overlay with a fresh upper dir.
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../src/runtime/spec.ts";

const [mode, ...rest] = process.argv.slice(2);
if (mode === "__init") {
  (await import("../src/runtime/init/main.ts")).main(rest);
} else {
  const { launch } = await import("../src/runtime/launch.ts");
  const dir = mkdtempSync("/tmp/bunker-bench-");
  for (const d of ["upper", "work", "merged"]) mkdirSync(`${dir}/${d}`);
  const caps = [...DEFAULT_CAPABILITIES];
  let code = 125;
  try {
    const l = await launch(
      {
        id: "bench", hostname: "bench",
        rootfs: { lower: [mode!], upper: `${dir}/upper`, work: `${dir}/work`, merged: `${dir}/merged`, readonly: false },
        mounts: [],
        process: {
          args: rest, env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], cwd: "/",
          user: { uid: 0, gid: 0, additionalGids: [] }, terminal: false,
          capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
          noNewPrivileges: false, rlimits: [], seccomp: null,
        },
        namespaces: { pid: true, mount: true, uts: true, ipc: true, net: true, cgroup: true },
        maskedPaths: DEFAULT_MASKED_PATHS, readonlyPaths: DEFAULT_READONLY_PATHS,
        etcFiles: {}, sysctl: {}, devices: [],
      },
      { io: { stdin: "inherit", stdout: "inherit", stderr: "inherit" } },
    );
    code = (await l.wait()).exitCode;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    code = (e as { exitCode?: number }).exitCode ?? 125;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(code);
}
