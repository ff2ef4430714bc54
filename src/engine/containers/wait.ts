/** wait: blocks until the container is not running and returns its exit code (Docker's "not-running"). */
import { readFileSync } from "node:fs";
import { refresh } from "./refresh.ts";
import { viewOf } from "./status.ts";
import { cpaths } from "./store.ts";

function removedExitCode(id: string): number | null {
  try {
    return Number(readFileSync(cpaths.exit(id), "utf8"));
  } catch {
    return null;
  }
}

export async function waitContainer(ref: string): Promise<number> {
  const first = await refresh(ref);
  let last = first.state.ExitCode;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const v = viewOf(first.id);
    // removed meanwhile (--rm): its supervisor left the exit code behind
    if (!v) return removedExitCode(first.id) ?? last;
    last = v.state.ExitCode;
    if (v.status !== "running" && v.status !== "paused") {
      if (v.stale) return (await refresh(first.id)).state.ExitCode;
      return v.state.ExitCode;
    }
    await Bun.sleep(delay);
  }
}
