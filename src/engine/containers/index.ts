/**
 * The container engine's public API: the verbs the CLI calls. Each returns data or throws a
 * BunkerError with Docker's wording; none prints.
 */
import { BunkerError, ConflictError } from "../../errors.ts";
import { refresh } from "./refresh.ts";
import { startDetached } from "./start.ts";
import { viewOf } from "./status.ts";
import { stopContainer } from "./stop.ts";
import { listIds, loadRecord, NAME_RE, renameRecord } from "./store.ts";

export { createContainer } from "./create.ts";
export { execContainer, type ExecOptions } from "./exec.ts";
export { inspectView } from "./inspect.ts";
export { listContainers, type ListedContainer } from "./list.ts";
export { readAll, follow, fileSize } from "./logs.ts";
export type { CreateOptions } from "./options.ts";
export { pauseContainer, unpauseContainer } from "./pause.ts";
export { refresh } from "./refresh.ts";
export { pruneContainers, removeContainer } from "./remove.ts";
export { followDetached, runAttached, startDetached } from "./start.ts";
export { sampleStats } from "./stats.ts";
export { dockerState, viewOf, type ContainerView } from "./status.ts";
export { killContainer, stopContainer } from "./stop.ts";
export { resolveId } from "./store.ts";
export { topContainer } from "./top.ts";
export { updateContainer } from "./update.ts";
export { waitContainer } from "./wait.ts";
export { bootContainers } from "./boot.ts";

export async function restartContainer(ref: string, timeoutSec?: number, signal?: string): Promise<string> {
  const v = await refresh(ref);
  await stopContainer(v.id, timeoutSec, signal);
  return startDetached(v.id);
}

export async function renameContainer(ref: string, newName: string): Promise<void> {
  const v = await refresh(ref);
  const name = newName.replace(/^\//, "");
  if (!NAME_RE.test(name)) throw new BunkerError(`Error response from daemon: Error when allocating new name: Invalid container name (/${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  if (v.record.Name === `/${name}`) throw new ConflictError(`Error response from daemon: Renaming a container with the same name as its current name`);
  renameRecord(v.id, name);
}

/** ids of the containers (any state) created from image `imageId` ("sha256:…"): rmi refuses those */
export function containersUsingImage(imageId: string): string[] {
  return listIds().filter((id) => loadRecord(id)?.Image === imageId);
}

export function containerExists(id: string): boolean {
  return viewOf(id) !== null;
}
