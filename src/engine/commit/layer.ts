/**
 * The committed layer as a tar stream: the items of an upper-dir scan (see ../diff.ts) with overlay
 * whiteouts turned into ".wh." entries and opaque directories followed by ".wh..wh..opq", the way the
 * tar module's diffOverlayTar writes them, but from the filtered list (no runtime mount points).
 * Deterministic: children in byte order, mtimes clamped (MtimePolicy), no user/group names, whole
 * seconds; so the same change gives the same bytes, hence the same layer digest.
 */
import type { Sys } from "../../sys/sys.ts";
import { readExactly, type MtimePolicy } from "../../image/tar/fsutil.ts";
import { HardlinkTracker, entryFor } from "../../image/tar/tardir.ts";
import { opaqueName, whiteoutEntry, whiteoutName } from "../../image/tar/whiteout.ts";
import { TarWriter } from "../../image/tar/writer.ts";
import type { UpperItem } from "../diff.ts";

export async function* layerTar(items: UpperItem[], opts: { mtime: MtimePolicy; sys: Sys }): AsyncGenerator<Uint8Array> {
  const w = new TarWriter();
  const links = new HardlinkTracker();
  for (const item of items) {
    const name = item.path.slice(1);
    if (item.whiteout) {
      yield* w.entry(whiteoutEntry(whiteoutName(name)));
      continue;
    }
    const e = entryFor({ name, path: item.disk, st: item.st }, name, { mtime: opts.mtime, sys: opts.sys }, links);
    if (!e) continue; // sockets
    if (e.type === "file" && e.size > 0) yield* w.entry(e, readExactly(item.disk, e.size));
    else yield* w.entry(e);
    // right after its directory, before any child, so appliers see it before the new content
    if (e.type === "dir" && item.opaque) yield* w.entry(whiteoutEntry(opaqueName(name)));
  }
  yield w.finish();
}

/**
 * An async generator as a byte stream (what storeLayer takes), pulled on demand. Headers come as
 * 512-byte pieces; they are gathered into chunks of up to 1 MiB so the hashing, gzip and unpacking
 * stages downstream pay their per-chunk cost once per MiB, not once per file.
 */
export function toStream(gen: AsyncGenerator<Uint8Array>, chunk = 1 << 20): ReadableStream<Uint8Array> {
  let buf = new Uint8Array(chunk);
  let fill = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      for (;;) {
        const r = await gen.next();
        if (r.done) {
          if (fill) c.enqueue(buf.slice(0, fill));
          fill = 0;
          c.close();
          return;
        }
        const v = r.value;
        if (fill + v.length > chunk) {
          if (fill) c.enqueue(buf.slice(0, fill));
          fill = 0;
          if (v.length >= chunk) {
            c.enqueue(v);
            return;
          }
        }
        buf.set(v, fill);
        fill += v.length;
        if (fill === chunk) {
          c.enqueue(buf);
          buf = new Uint8Array(chunk);
          fill = 0;
          return;
        }
      }
    },
    async cancel() {
      await gen.return(undefined);
    },
  }, { highWaterMark: 0 });
}
