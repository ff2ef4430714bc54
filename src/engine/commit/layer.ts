/**
 * The committed layer as a tar: the items of an upper-dir scan (see ../diff.ts) with overlay whiteouts
 * turned into ".wh." entries and opaque directories followed by ".wh..wh..opq", the way the tar module's
 * diffOverlayTar writes them, but from the filtered list (no runtime mount points). Deterministic:
 * children in byte order, mtimes clamped (MtimePolicy), no user/group names, whole seconds; so the same
 * change gives the same bytes, hence the same layer digest, whatever the block size or the consumer.
 *
 * The tar is packed straight into the consumer's blocks: headers are copied in, file bodies are read
 * from disk into the block in place. Measured on 7000 files / 208 MB (warm cache, nothing downstream):
 * 0.14-0.29 s, against 0.39 s for the same bytes from async generators of per-file chunks gathered
 * into a stream (an allocation, a copy and a few promises per piece).
 */
import { closeSync, constants, openSync, readSync } from "node:fs";
import type { Sys } from "../../sys/sys.ts";
import type { MtimePolicy } from "../../image/tar/fsutil.ts";
import { HardlinkTracker, entryFor } from "../../image/tar/tardir.ts";
import { opaqueName, whiteoutEntry, whiteoutName } from "../../image/tar/whiteout.ts";
import { END_OF_ARCHIVE, encodeHeader } from "../../image/tar/writer.ts";
import type { UpperItem } from "../diff.ts";

/** where packed blocks go (a BlockWriter is one) */
export interface BlockSink {
  /** an empty block to fill */
  take(): Promise<Uint8Array>;
  /** the first `length` bytes of a block from take() are tar; the block is the sink's again */
  give(block: Uint8Array, length: number): Promise<void>;
}

export interface PackOptions {
  mtime: MtimePolicy;
  sys: Sys;
}

/** Packs the layer tar into `sink`'s blocks; returns the tar's size. */
export async function packLayer(items: UpperItem[], opts: PackOptions, sink: BlockSink): Promise<number> {
  const out = new BlockFiller(sink);
  const links = new HardlinkTracker();
  for (const item of items) {
    const name = item.path.slice(1);
    if (item.whiteout) {
      await out.bytes(encodeHeader(whiteoutEntry(whiteoutName(name))));
      continue;
    }
    const e = entryFor({ name, path: item.disk, st: item.st }, name, { mtime: opts.mtime, sys: opts.sys }, links);
    if (!e) continue; // sockets
    await out.bytes(encodeHeader(e));
    if (e.type === "file" && e.size > 0) {
      await out.file(item.disk, e.size);
      await out.zeros((512 - (e.size % 512)) % 512);
    }
    // right after its directory, before any child, so appliers see it before the new content
    if (e.type === "dir" && item.opaque) await out.bytes(encodeHeader(whiteoutEntry(opaqueName(name))));
  }
  await out.bytes(END_OF_ARCHIVE);
  return out.end();
}

/**
 * The layer tar as a byte stream of `chunk`-sized pieces, for consumers that take streams (compression,
 * eager unpacking). Packing runs ahead of the reader by at most a few chunks.
 */
export function layerStream(items: UpperItem[], opts: PackOptions, chunk = 1 << 20): ReadableStream<Uint8Array> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>(undefined, { highWaterMark: 2 }, { highWaterMark: 2 });
  const w = pipe.writable.getWriter();
  const sink: BlockSink = {
    take: async () => new Uint8Array(chunk),
    give: async (block, length) => {
      await w.ready;
      w.write(block.subarray(0, length)).catch(() => {}); // a cancel shows in w.ready, next time round
    },
  };
  packLayer(items, opts, sink).then(
    () => w.close().catch(() => {}),
    (err) => w.abort(err).catch(() => {}),
  );
  return pipe.readable;
}

/** fills one block at a time and hands it on when full */
class BlockFiller {
  private block: Uint8Array | null = null;
  private fill = 0;
  private total = 0;

  constructor(private readonly sink: BlockSink) {}

  async bytes(b: Uint8Array): Promise<void> {
    let off = 0;
    while (off < b.length) {
      const block = await this.room();
      const n = Math.min(b.length - off, block.length - this.fill);
      block.set(off === 0 && n === b.length ? b : b.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
  }

  async zeros(n: number): Promise<void> {
    while (n > 0) {
      const block = await this.room();
      const k = Math.min(n, block.length - this.fill);
      block.fill(0, this.fill, this.fill + k); // blocks are reused: nothing in them is zero already
      this.fill += k;
      n -= k;
    }
  }

  /**
   * Exactly `size` bytes of a regular file, read into the blocks in place: a file that shrank while we
   * read is padded with zeros and one that grew is cut, so the tar stays consistent with the header
   * already written (GNU tar does likewise).
   */
  async file(path: string, size: number): Promise<void> {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NOCTTY);
    try {
      let pos = 0, eof = false;
      while (pos < size) {
        const block = await this.room();
        const want = Math.min(size - pos, block.length - this.fill);
        let got = 0;
        while (!eof && got < want) {
          const n = readSync(fd, block, this.fill + got, want - got, pos + got);
          if (n === 0) eof = true;
          got += n;
        }
        if (got < want) block.fill(0, this.fill + got, this.fill + want);
        this.fill += want;
        pos += want;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** hands on the last block; returns the bytes packed */
  async end(): Promise<number> {
    if (this.block && this.fill > 0) await this.hand();
    return this.total;
  }

  /** the current block with room in it (a full one goes to the sink first) */
  private async room(): Promise<Uint8Array> {
    if (this.block && this.fill === this.block.length) await this.hand();
    this.block ??= await this.sink.take();
    return this.block;
  }

  private async hand(): Promise<void> {
    const block = this.block!;
    const n = this.fill;
    this.block = null;
    this.fill = 0;
    this.total += n;
    await this.sink.give(block, n);
  }
}
