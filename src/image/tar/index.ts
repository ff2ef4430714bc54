/** Layer format work: tar read/write, whiteouts, layer apply and diff, fingerprints. */
export type { TarEntry, TarEntryType } from "./types.ts";
export { TarFormatError, LayerApplyError } from "./errors.ts";
export { TarParser, readTar, listTarFile, type TarEvent, type TarItem } from "./reader.ts";
export { TarWriter, encodeHeader, padding, END_OF_ARCHIVE, type TarWriterOptions } from "./writer.ts";
export { tarDirectory, walkTree, type TarDirectoryOptions } from "./tardir.ts";
export { applyLayer, type ApplyOptions, type ApplyResult } from "./apply.ts";
export {
  classifyWhiteout, whiteoutName, opaqueName, whiteoutEntry, isOverlayWhiteout, makeOverlayWhiteout,
  isOpaqueDir, setOpaqueDir, WHITEOUT_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_META_PREFIX, OVERLAY_OPAQUE_XATTR,
  type Whiteout,
} from "./whiteout.ts";
export { diffOverlayChanges, diffOverlayTar, diffTrees, CHANGE_KIND_API, type Change, type ChangeKind, type DiffTreesOptions } from "./diff.ts";
export { Xxh64, xxh64Wasm, xxh64Native, fingerprintFile } from "./fingerprint.ts";
export { byteOrder, type MtimePolicy } from "./fsutil.ts";
