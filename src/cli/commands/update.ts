import { updateContainer } from "../../engine/containers/index.ts";
import { parseCpus, parseIntFlag, parseMemory, parseRestart } from "../../engine/containers/options.ts";
import type { HostConfig } from "../../engine/containers/types.ts";
import { BunkerError, DAEMON, errorMessage, UsageError } from "../../errors.ts";
import type { CommandSpec } from "../_command.ts";
import { forEachContainer } from "./_containers.ts";

const s = (description: string, alias?: string) => ({ type: "string" as const, description, alias });
const flags = {
  memory: s("Memory limit", "m"),
  "memory-swap": s("Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
  "memory-reservation": s("Memory soft limit"),
  "cpu-shares": s("CPU shares (relative weight)", "c"),
  cpus: s("Number of CPUs"),
  "cpu-period": s("Limit CPU CFS (Completely Fair Scheduler) period"),
  "cpu-quota": s("Limit CPU CFS (Completely Fair Scheduler) quota"),
  "cpuset-cpus": s("CPUs in which to allow execution (0-3, 0,1)"),
  "cpuset-mems": s("MEMs in which to allow execution (0-3, 0,1)"),
  "pids-limit": s("Tune container pids limit (set -1 for unlimited)"),
  restart: s("Restart policy to apply when a container exits"),
};

const spec: CommandSpec<typeof flags> = {
  name: "update",
  description: "Update configuration of one or more containers",
  flags,
  positionals: [{ name: "CONTAINER", description: "containers", required: true }],
  args: { min: 1 },
  async run({ flags: f, positionals }) {
    const u: Partial<HostConfig> = {};
    if (f.memory !== undefined) u.Memory = parseMemory(f.memory, "--memory");
    if (f["memory-swap"] !== undefined) u.MemorySwap = parseMemory(f["memory-swap"], "--memory-swap");
    if (f["memory-reservation"] !== undefined) u.MemoryReservation = parseMemory(f["memory-reservation"], "--memory-reservation");
    if (f["cpu-shares"] !== undefined) u.CpuShares = parseIntFlag(f["cpu-shares"], "--cpu-shares");
    if (f.cpus !== undefined) u.NanoCpus = parseCpus(f.cpus);
    if (f["cpu-period"] !== undefined) u.CpuPeriod = parseIntFlag(f["cpu-period"], "--cpu-period");
    if (f["cpu-quota"] !== undefined) u.CpuQuota = parseIntFlag(f["cpu-quota"], "--cpu-quota");
    if (f["cpuset-cpus"] !== undefined) u.CpusetCpus = f["cpuset-cpus"];
    if (f["cpuset-mems"] !== undefined) u.CpusetMems = f["cpuset-mems"];
    if (f["pids-limit"] !== undefined) u.PidsLimit = parseIntFlag(f["pids-limit"], "--pids-limit");
    if (f.restart !== undefined) {
      try {
        u.RestartPolicy = parseRestart(f.restart);
      } catch (e) {
        // a policy name the daemon refuses: exit 1, as every refusal of `update` (only the format is the CLI's)
        if (e instanceof UsageError) throw e;
        throw new BunkerError(`${DAEMON}${errorMessage(e)}`);
      }
    }
    if (Object.keys(u).length === 0) throw new BunkerError("you must provide one or more flags when using this command");
    const warnings: string[] = [];
    const code = await forEachContainer(positionals, async (ref) => {
      warnings.push(...(await updateContainer(ref, u)));
    });
    // Docker's CLI prints the daemon's update warnings (a limit the host has no controller for) on
    // stdout, plain, after the names; `run` and `create` print theirs on stderr as "WARNING: ..."
    if (warnings.length > 0) process.stdout.write(`${warnings.join("\n")}\n`);
    return code;
  },
};
export default spec;
