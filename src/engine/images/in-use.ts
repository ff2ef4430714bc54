/**
 * Whether a container uses an image, for rmi's and prune's conflict rules. Containers record the image
 * ID they were created from (ContainerRecord.Image); a scan of the records is cheap at the scale of one
 * host. The container modules are loaded only when an image is about to be deleted.
 */
export interface ImageUser {
  /** full container ID */
  containerId: string;
  running: boolean;
}

/** the first container using `imageId`, running ones first (they make the conflict hard) */
export async function imageInUse(imageId: string): Promise<ImageUser | null> {
  const users = await imageUsers();
  const mine = users.filter((u) => u.imageId === imageId);
  return mine.find((u) => u.running) ?? mine[0] ?? null;
}

/** every container's image ID, for prune -a ("images without at least one container") */
export async function imageUsers(): Promise<Array<ImageUser & { imageId: string }>> {
  const { listIds } = await import("../containers/store.ts");
  const { viewOf } = await import("../containers/status.ts");
  const out: Array<ImageUser & { imageId: string }> = [];
  for (const id of listIds()) {
    const v = viewOf(id);
    if (!v) continue;
    out.push({ containerId: id, imageId: v.record.Image, running: v.status === "running" || v.status === "paused" || v.status === "restarting" });
  }
  return out.sort((a, b) => a.containerId.localeCompare(b.containerId));
}
