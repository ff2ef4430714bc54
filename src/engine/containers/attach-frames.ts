/**
 * The framing of a container's attach FIFO (attach.ts): 1 byte type + 4 bytes length (LE) + payload.
 * "d" data for the container's stdin or pty, "r" resize "ROWS COLS", "e" end of input. No imports: the
 * idle supervisor (idle.ts) reads the FIFO too and must not load node:fs.
 */
export type FrameType = "d" | "r" | "e";

export function frame(type: FrameType, payload: Uint8Array | string): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeUInt32LE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** splits the FIFO's byte stream into frames; a frame cut between two reads waits for its rest */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);
  constructor(readonly onFrame: (type: string, payload: Buffer) => void) {}

  push(chunk: Uint8Array): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : Buffer.from(chunk);
    while (this.#buf.length >= 5) {
      const len = this.#buf.readUInt32LE(1);
      if (this.#buf.length < 5 + len) break;
      this.onFrame(String.fromCharCode(this.#buf[0]!), this.#buf.subarray(5, 5 + len));
      this.#buf = this.#buf.subarray(5 + len);
    }
  }

  /** no frame half read (a re-exec would lose the half it holds) */
  get empty(): boolean {
    return this.#buf.length === 0;
  }
}
