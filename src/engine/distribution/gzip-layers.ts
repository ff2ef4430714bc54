/**
 * Push sends plain-tar layers as gzip, so every Docker since 20.10 and every registry can pull them
 * (Docker's graph driver does the same: layers are kept uncompressed and compressed on push). Each
 * plain layer is compressed once into the content store (gzip.ts workers, deterministic, tar digest
 * verified), or an existing gzip blob of the same layer is reused (Docker's diffID -> digest metadata,
 * here read from the local images). One layer at a time: the compressor already uses every core, and
 * uploads of finished layers overlap with the next compression.
 *
 * The result is recorded by switching the image's tags to a manifest that lists the gzip layers (same
 * config, so the same image ID): the next push, to any registry, finds nothing to compress. Order for
 * crash safety: gzip blobs, then the new manifest blob, then the names (one atomic write each); at every
 * point each name is on a complete image. The old manifest and plain blobs become garbage unless
 * another image uses them (withStore collects them). A push that fails still records the layers
 * compressed so far, so a retry does not compress them again.
 */
import { putBytes } from "../../image/content/copy.ts";
import type { Descriptor, Ingester } from "../../image/content/types.ts";
import { layerCompression, MT } from "../../registry/mediatypes.ts";
import type { ImageManifest } from "./documents.ts";
import type { LayerConversions } from "./types.ts";

/** the gzip media type of the same family as a plain-tar layer type */
export function gzipLayerType(plainType: string): string {
  return plainType === MT.ociLayer ? MT.ociLayerGzip : MT.dockerLayer;
}

export class GzipLayers {
  /** per layer: the descriptor to push, once it exists */
  readonly layers: Promise<Descriptor>[];
  private readonly done = new Map<number, Descriptor>();
  private readonly abort = new AbortController();

  constructor(
    manifest: ImageManifest,
    private readonly conv: LayerConversions,
    private readonly content: Ingester,
  ) {
    let chain: Promise<unknown> = Promise.resolve();
    this.layers = manifest.layers.map((l, i) => {
      if (layerCompression(l.mediaType) !== "none") return Promise.resolve(l);
      const p = chain.then(() => this.convert(l, i));
      chain = p.catch(() => {});
      p.catch(() => {});
      return p;
    });
  }

  /** true when some layer is plain (nothing to do otherwise) */
  static needed(manifest: ImageManifest): boolean {
    return manifest.layers.some((l) => layerCompression(l.mediaType) === "none");
  }

  private async convert(l: Descriptor, i: number): Promise<Descriptor> {
    this.abort.signal.throwIfAborted();
    // a plain tar's digest is its diff ID
    let gz = await this.conv.gzipOf(l.digest);
    if (!gz) {
      gz = await this.conv.gzip(l.digest, this.abort.signal);
      this.conv.garbage.add(gz.digest); // until a manifest that a name points at lists it
    }
    const desc: Descriptor = { ...l, mediaType: gzipLayerType(l.mediaType), digest: gz.digest, size: gz.size };
    this.done.set(i, desc);
    return desc;
  }

  /** stops compressing after the layer in progress (a failed upload makes the rest pointless) */
  stop(): void {
    this.abort.abort(new Error("push failed"));
  }

  /**
   * Waits for the compressions, then records them: a manifest listing the gzip layers is stored and
   * every tag of the old manifest moves to it. Returns the manifest to push (the old one when nothing
   * was compressed). Throws what a compression threw once the finished ones are recorded.
   */
  async record(old: Descriptor, oldBytes: Uint8Array): Promise<{ desc: Descriptor; bytes: Uint8Array }> {
    const settled = await Promise.allSettled(this.layers);
    let out = { desc: old, bytes: oldBytes };
    if (this.done.size > 0) {
      const doc = JSON.parse(new TextDecoder().decode(oldBytes)) as { layers: Descriptor[] };
      const plain = [...this.done.keys()].map((i) => doc.layers[i]!.digest);
      // descriptors keep their other fields (annotations, urls); key order stays, so equal input gives equal bytes
      doc.layers = doc.layers.map((l, i) => {
        const d = this.done.get(i);
        return d ? { ...l, mediaType: d.mediaType, digest: d.digest, size: d.size } : l;
      });
      const bytes = new TextEncoder().encode(JSON.stringify(doc));
      const digest = await putBytes(this.content, bytes);
      const desc: Descriptor = { mediaType: old.mediaType, digest, size: bytes.byteLength };
      // what no name points at afterwards (the old documents; the new ones if a tag moved meanwhile) is garbage
      for (const d of [old.digest, ...plain, digest]) this.conv.garbage.add(d);
      await this.conv.retarget(old.digest, desc);
      out = { desc, bytes };
    }
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed && !this.abort.signal.aborted) throw failed.reason;
    return out;
  }
}
