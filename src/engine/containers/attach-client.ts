/**
 * `attach`: our terminal joined to a running detached container, as `docker attach` does. Output comes
 * from the container's json log (followed from its current end: attach shows what is written from now
 * on), input and window size go through its attach FIFO (attach.ts). Ends when the container stops
 * (its exit code is returned) or when the detach keys are typed (a -t container with our stdin
 * attached), which leaves the container running.
 */
import { BunkerError, ConflictError } from "../../errors.ts";
import { attachInput, DEFAULT_DETACH_KEYS, followWindowSize, parseDetachKeys } from "./attach.ts";
import { fileSize, follow } from "./logs.ts";
import { signalIfSame } from "./procs.ts";
import { refresh } from "./refresh.ts";
import { viewOf, type ContainerView } from "./status.ts";
import { cpaths } from "./store.ts";
import { writeAll } from "./start.ts";

export interface AttachOptions {
  /** attach our stdin (unless --no-stdin); only a container started with -i takes it */
  stdin: boolean;
  /** forward the signals we get to PID 1 (--sig-proxy; never for a -t container, as Docker) */
  sigProxy: boolean;
  /** --detach-keys; Docker's ctrl-p,ctrl-q when absent */
  detachKeys?: string;
}

/** the detach keys were typed: Docker's CLI reports its EscapeError this way, exit 1 */
export class DetachedError extends BunkerError {
  constructor() {
    super("read escape sequence");
    this.name = "DetachedError";
  }
}

/** Docker's CLI checks these before attaching (cli/command/container/attach.go) */
function checkAttachable(v: ContainerView): void {
  if (v.status === "paused") throw new ConflictError("You cannot attach to a paused container, unpause it first");
  if (v.status === "restarting") throw new ConflictError("You cannot attach to a restarting container, wait until it is running");
  if (v.status !== "running") throw new ConflictError("You cannot attach to a stopped container, start it first");
}

/** the forwarded signals: what a terminal or a shell's kill sends to a foreground program */
const PROXIED: Array<[NodeJS.Signals, number]> = [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
  ["SIGQUIT", 3],
  ["SIGUSR1", 10],
  ["SIGUSR2", 12],
];

export async function attachContainer(ref: string, o: AttachOptions): Promise<number> {
  let keys = DEFAULT_DETACH_KEYS;
  if (o.detachKeys) {
    const parsed = parseDetachKeys(o.detachKeys);
    if (!parsed) throw new BunkerError(`Error response from daemon: Invalid detach keys (${o.detachKeys}) provided`);
    keys = parsed;
  }
  const v = await refresh(ref);
  checkAttachable(v);
  const id = v.id;
  const tty = v.record.Config.Tty;
  const withStdin = o.stdin && v.record.Config.OpenStdin;
  if (withStdin && tty && !process.stdin.isTTY) throw new BunkerError("the input device is not a TTY");
  const logPath = cpaths.log(id);
  const from = fileSize(logPath);

  let detached = false;
  let onDetach!: () => void;
  const detachedP = new Promise<null>((r) => (onDetach = () => ((detached = true), r(null))));
  // without our stdin a -t container still gets our window size, as Docker's attach does
  const stopInput = withStdin
    ? attachInput(id, tty, { closeOnEof: false, detach: { keys, onDetach } })
    : tty && process.stdout.isTTY
      ? followWindowSize(id)
      : () => {};
  // a -t container gets keys (Ctrl-C too) through its terminal; only a plain one gets our signals
  const proxied = o.sigProxy && !tty ? PROXIED : [];
  const forward = (sig: number) => () => {
    const live = viewOf(id)?.live;
    if (live) signalIfSame(live.Pid, live.PidStart, sig);
  };
  const handlers = proxied.map(([s, n]) => [s, forward(n)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const isRunning = () => {
    const x = viewOf(id);
    return !detached && !!x && (x.status === "running" || x.status === "paused");
  };
  try {
    const output = (async () => {
      for await (const e of follow(logPath, from, isRunning)) {
        if (detached) return;
        writeAll(e.stream === "stderr" ? 2 : 1, Buffer.from(e.log));
      }
    })();
    await Promise.race([output, detachedP]);
  } finally {
    stopInput();
    for (const [s, h] of handlers) process.off(s, h);
  }
  if (detached) throw new DetachedError();
  return viewOf(id)?.state.ExitCode ?? 0;
}
