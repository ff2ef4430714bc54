/** Hidden modes of the binary, used by bunker itself (never typed by users). */
const modes: Record<string, () => Promise<(args: string[]) => Promise<void> | void>> = {
  // container init: runs inside the new namespaces and ends in execve (src/runtime/init)
  __init: () => import("../runtime/init/main.ts").then((m) => m.main),
  // per-container supervisor of a detached container (src/engine/containers/supervise.ts)
  __supervise: () => import("../engine/containers/supervise.ts").then((m) => m.superviseMain),
  // the same supervisor while its container runs: output to the log, nothing else loaded (idle.ts)
  __idle: () => import("../engine/containers/idle.ts").then((m) => m.idleMain),
};

export async function runHiddenMode(name: string, args: string[]): Promise<void> {
  const load = modes[name];
  if (!load) {
    process.stderr.write(`bunker: unknown internal mode ${name}\n`);
    process.exit(125);
  }
  const run = await load();
  await run(args);
}
