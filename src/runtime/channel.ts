/**
 * Parent ↔ init traffic (youki message.rs/channel.rs, crun's sync socket). Three pipes, at fixed fds in
 * init:
 *   fd 3  parent → init: the payload (JSON, then EOF)
 *   fd 4  init → parent: newline-delimited InitMessage; marked close-on-exec right before execve, so
 *         EOF after {t:"exec"} means the user's program is running
 *   fd 5  parent → init: one byte per "go on" (after beforeExec, after taking the pty); EOF = abort
 * The parent side is async (Bun streams); the init side is synchronous (it runs after unshare, where
 * only the main thread is in the new namespaces).
 */
import { readSync, writeSync } from "node:fs";
import type { ProcessSpec, RuntimeSpec } from "./spec.ts";
import { LaunchError, type InitStage } from "./errors.ts";

export const PAYLOAD_FD = 3;
export const MESSAGE_FD = 4;
export const GO_FD = 5;

export type InitPayload =
  | { mode: "run"; spec: RuntimeSpec; hold: boolean }
  | {
      mode: "exec";
      /** host pid and start time of the container's PID 1, to join its namespaces */
      target: { pid: number; startTime: number };
      process: ProcessSpec;
      /** cgroup.procs files to join (host paths), written before setns(mnt) */
      cgroupProcsFiles: string[];
    }
  /** --init: the user's program under PID 1 (init/reaper.ts); go on fd 5 is one JSON line {slave} */
  | { mode: "child"; process: ProcessSpec };

export type InitMessage =
  /** init is in its new namespaces; the parent runs beforeExec, then sends go */
  | { t: "created" }
  /** init opened a pty master as its fd `fd`; the parent takes it with pidfd_getfd, then sends go */
  | { t: "pty"; fd: number }
  /** init is about to execve; EOF follows on success */
  | { t: "exec" }
  | { t: "error"; stage: InitStage; errno: number; msg: string; exitCode: number };

/** The parent's end: reads init's messages in order. */
export class ParentChannel {
  #reader: { read(): Promise<{ value?: Uint8Array; done: boolean }>; cancel(): Promise<void> };
  #buf = "";
  #decoder = new TextDecoder();
  #eof = false;

  constructor(messageFd: number) {
    this.#reader = Bun.file(messageFd).stream().getReader();
  }

  /** The next message, or null at EOF. */
  async next(): Promise<InitMessage | null> {
    for (;;) {
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        if (line.trim() !== "") return JSON.parse(line) as InitMessage;
        continue;
      }
      if (this.#eof) return null;
      const { value, done } = await this.#reader.read();
      if (done) this.#eof = true;
      else if (value) this.#buf += this.#decoder.decode(value, { stream: true });
    }
  }

  /** Wait for `t`; an error message (or EOF) from init becomes a LaunchError. */
  async expect<T extends InitMessage["t"]>(t: T): Promise<Extract<InitMessage, { t: T }>> {
    const m = await this.next();
    if (m === null) throw new LaunchError("spawn", "init exited before it was ready");
    if (m.t === "error") throw errorFromInit(m);
    if (m.t !== t) throw new LaunchError("spawn", `init protocol: expected ${t}, got ${m.t}`);
    return m as Extract<InitMessage, { t: T }>;
  }

  waitForCreated(): Promise<{ t: "created" }> {
    return this.expect("created");
  }

  waitForPty(): Promise<{ t: "pty"; fd: number }> {
    return this.expect("pty");
  }

  /** Returns once init has exec'd the user's program (the message pipe closed on exec). */
  async waitForExec(): Promise<void> {
    await this.expect("exec");
    // anything after "exec" is a failed execve
    const m = await this.next();
    if (m === null) return;
    if (m.t === "error") throw errorFromInit(m);
    throw new LaunchError("spawn", `init protocol: unexpected ${m.t} after exec`);
  }

  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }
}

export function errorFromInit(m: Extract<InitMessage, { t: "error" }>): LaunchError {
  return new LaunchError(m.stage, m.msg, { exitCode: m.exitCode, errno: m.errno });
}

/** Init's end: synchronous, fixed fds. */
export class InitLink {
  constructor(
    readonly messageFd = MESSAGE_FD,
    readonly goFd = GO_FD,
  ) {}

  send(m: InitMessage): void {
    const data = Buffer.from(`${JSON.stringify(m)}\n`);
    let off = 0;
    while (off < data.length) off += writeSync(this.messageFd, data, off);
  }

  /** Block until the parent says go; false when it went away (EOF) instead. */
  waitGo(): boolean {
    const b = Buffer.alloc(1);
    for (;;) {
      try {
        return readSync(this.goFd, b, 0, 1, null) === 1;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EINTR" || (e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        throw e;
      }
    }
  }
}

/**
 * The payload, read from fd 3 to EOF (init side, synchronous); null when the pipe closed empty: a
 * prepared init the engine did not need (launch.ts prepareInit).
 */
export function readPayload(fd = PAYLOAD_FD): InitPayload | null {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EINTR" || (e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  if (chunks.length === 0) return null;
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as InitPayload;
}
