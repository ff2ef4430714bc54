/** The image verbs: each takes the image store and returns data (the CLI prints it). */
export { openImageStore, resolveImage, findImage, noSuchImage } from "./resolve.ts";
export { importImage, type ImportOptions, type ImportResult } from "./import.ts";
export { listImages, type ListOptions } from "./list.ts";
export { inspectImages, type InspectResult } from "./inspect.ts";
export { imageHistory, type HistoryItem } from "./history.ts";
export { tagImage, parseTagTarget } from "./tag.ts";
export { removeImage, type DeleteItem, type RemoveOptions } from "./remove.ts";
export { pruneImages, type PruneOptions, type PruneReport } from "./prune.ts";
export { applyChanges, parseChanges, ChangeError } from "./changes.ts";
export { imageInUse, imageUsers, type ImageUser } from "./in-use.ts";
export { imageForRun } from "./run-image.ts";
export type { ImageSummary } from "./view.ts";
