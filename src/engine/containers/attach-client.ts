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
  const keys = detachKeys(o.detachKeys);
  const v = await refresh(ref);
  checkAttachable(v);
  const tty = v.record.Config.Tty;
  const withStdin = o.stdin && v.record.Config.OpenStdin;
  if (withStdin && tty && !process.stdin.isTTY) throw new BunkerError("the input device is not a TTY");
  return streamContainer(v.id, tty, { from: fileSize(cpaths.log(v.id)), stdin: withStdin, closeOnEof: false, sigProxy: o.sigProxy, keys });
}

/** --detach-keys as key codes; Docker's ctrl-p,ctrl-q when absent */
export function detachKeys(spec: string | undefined): number[] {
  if (!spec) return DEFAULT_DETACH_KEYS;
  const parsed = parseDetachKeys(spec);
  if (!parsed) throw new BunkerError(`Error response from daemon: Invalid detach keys (${spec}) provided`);
  return parsed;
}

export interface StreamOptions {
  /** the log offset output is shown from */
  from: number;
  /** our stdin goes to the container (it was started with -i) */
  stdin: boolean;
  /** our stdin's end closes the container's (start -a -i); attach leaves it open, as Docker's */
  closeOnEof: boolean;
  sigProxy: boolean;
  keys: number[];
}

/**
 * Our terminal joined to a running detached container, for `attach` and `start -a [-i]`: output from
 * the log, input and window size through the attach FIFO, signals to PID 1 (not for a -t container:
 * keys reach it through its terminal). Returns the exit code; throws DetachedError on the detach keys.
 */
export async function streamContainer(id: string, tty: boolean, o: StreamOptions): Promise<number> {
  const logPath = cpaths.log(id);
  let detached = false;
  let onDetach!: () => void;
  const detachedP = new Promise<null>((r) => (onDetach = () => ((detached = true), r(null))));
  // without our stdin a -t container still gets our window size, as Docker's attach does
  const stopInput = o.stdin
    ? attachInput(id, tty, { closeOnEof: o.closeOnEof, detach: { keys: o.keys, onDetach } })
    : tty && process.stdout.isTTY
      ? followWindowSize(id)
      : () => {};
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
      for await (const e of follow(logPath, o.from, isRunning)) {
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
