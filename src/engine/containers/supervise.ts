/**
 * Hidden mode `__supervise <id>`: the per-container supervisor of a detached container. Parent of the
 * container's PID 1 (so it gets the real exit status), writer of its logs, keeper of its restart policy.
 * Reports "started" (or the start error) to the CLI that spawned it, then lives on without a terminal.
 */
import { becomeSupervisor, reportToStarter } from "../../runtime/supervisor/detach.ts";
import { superviseLoop, type RunExit } from "../../runtime/supervisor/loop.ts";
import { LaunchError } from "../../runtime/errors.ts";
import { recordStartError, selfStart, startSession, type Exit } from "./session.ts";
import { signalIfSame } from "./procs.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { clearLive, cpaths, loadLive, loadRecord, loadState, updateState, writeLive } from "./store.ts";

export async function superviseMain(args: string[]): Promise<void> {
  const id = args[0];
  const rec = id ? loadRecord(id) : null;
  if (!id || !rec) {
    reportToStarter({ ok: false, exitCode: 125, message: `No such container: ${id}` });
    process.exit(125);
  }
  becomeSupervisor();
  // on record from the start: a `ps` or `stop` racing the first launch sees a live supervisor
  writeLive(id, { Pid: 0, PidStart: 0, SupervisorPid: process.pid, SupervisorStart: selfStart() });
  // the host shutting down (SIGTERM to every process) stops the container the way `stop` would
  const forward = (sig: NodeJS.Signals) => () => {
    const live = loadLive(id);
    if (live) signalIfSame(live.Pid, live.PidStart, sig === "SIGTERM" ? 15 : 3);
  };
  process.on("SIGTERM", forward("SIGTERM"));
  process.on("SIGQUIT", forward("SIGQUIT"));

  const state = loadState(id);
  let lastExit: Exit | null = null;
  await superviseLoop({
    policy: { name: rec.HostConfig.RestartPolicy.Name, maxRetries: rec.HostConfig.RestartPolicy.MaximumRetryCount },
    restartCount: state.RestartCount,
    async start() {
      const fresh = loadRecord(id) ?? rec;
      const session = await startSession(fresh, { stdin: fresh.Config.OpenStdin ? "pipe" : "ignore" });
      // a stop that arrived while this run was being launched
      if (loadState(id).ManuallyStopped) signalIfSame(session.launched.pid, session.launched.startTime, 9);
      if (fresh.Config.OpenStdin || fresh.Config.Tty) {
        // loaded only for -i/-t: a plain detached supervisor never serves attach
        const { serveAttach } = await import("./attach.ts");
        const stopServing = serveAttach(id, session.launched);
        void session.finished.then(stopServing);
      }
      const exited = session.finished.then((e): RunExit => ((lastExit = e), { exitCode: e.exitCode, ranMs: e.ranMs }));
      return { pid: session.launched.pid, exited };
    },
    manuallyStopped: () => loadState(id).ManuallyStopped,
    recordExit(exit, restarting, restartCount) {
      updateState(id, (s) => {
        s.ExitCode = exit.exitCode;
        s.FinishedAt = lastExit?.finishedAt ?? new Date().toISOString();
        s.OOMKilled = lastExit?.oomKilled ?? false;
        s.RestartCount = restartCount;
        s.Status = restarting ? "restarting" : "exited";
      });
    },
    onStartError(err, first) {
      recordStartError(id, err);
      if (first) {
        const code = err instanceof LaunchError || (err as { exitCode?: number })?.exitCode ? (err as { exitCode: number }).exitCode : 125;
        reportToStarter({ ok: false, exitCode: code, message: err instanceof Error ? err.message : String(err) });
      }
    },
    onStarted(pid, first) {
      if (first) reportToStarter({ ok: true, pid });
      // the start-up garbage (parsed modules, spec JSON, init payload) is the bulk of an idle
      // supervisor's private memory: collect it once the container runs
      setTimeout(() => {
        Bun.gc(true);
        Bun.shrink();
        if (process.env.BUNKER_SUPERVISOR_MEMLOG) {
          const jsc = require("bun:jsc");
          require("node:fs").writeFileSync(process.env.BUNKER_SUPERVISOR_MEMLOG, JSON.stringify({ heap: jsc.heapSize(), stats: jsc.heapStats().objectTypeCounts }));
        }
      }, 200).unref();
    },
  });
  clearLive(id);
  if (rec.HostConfig.AutoRemove && !loadState(id).Removing) {
    try {
      mkdirSync(dirname(cpaths.exit(id)), { recursive: true, mode: 0o700 });
      writeFileSync(cpaths.exit(id), String(loadState(id).ExitCode));
    } catch {}
    const { removeContainer } = await import("./remove.ts");
    await removeContainer(id, true, true).catch(() => {});
  }
  process.exit(0);
}
