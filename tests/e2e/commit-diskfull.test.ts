/**
 * Disk full during `commit`: the root is a small tmpfs (which also takes the block writer off O_DIRECT,
 * onto its cached path). The commit must fail with one clear line, leave no image and no ingest, give
 * the space back, and leave the container running.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { importBusybox } from "./containers-fixture.ts";
import { Harness } from "./containers-harness.ts";

/** the container harness on a 48 MiB tmpfs */
class SmallRoot extends Harness {
  override async setup(): Promise<void> {
    this.base = mkdtempSync("/tmp/bunker-ctr-full-");
    this.root = join(this.base, "root");
    this.run = join(this.base, "run");
    mkdirSync(this.root);
    const m = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", this.root]);
    if (m.exitCode !== 0) throw new Error(`mount tmpfs: ${m.stderr.toString()}`);
    await importBusybox(this.root, this.run);
  }

  override mounts(): string[] {
    return super.mounts().filter((m) => m !== this.root);
  }

  override async teardown(): Promise<void> {
    try {
      await this.removeAll();
    } finally {
      Bun.spawnSync(["umount", this.root]);
      await super.teardown();
    }
  }
}

const used = (p: string) => {
  const s = statfsSync(p);
  return (s.blocks - s.bfree) * s.bsize;
};

describe("commit on a full disk", () => {
  const h = new SmallRoot();
  h.useInSuite();

  test("one line, exit 1, no image, no ingest, the space back, the container running", async () => {
    await h.ok(["run", "-d", "--name", "full", "busybox", "sh", "-c", "dd if=/dev/urandom of=/big bs=1M count=26 2>/dev/null; echo READY; exec sleep 1000"]);
    for (let i = 0; i < 400 && !(await h.bunker(["logs", "full"])).stdout.includes("READY"); i++) await Bun.sleep(25);
    const images = await h.ok(["images", "-q"]);
    const before = used(h.root);
    const r = await h.bunker(["commit", "full", "fullimg"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^Error response from daemon: write ingest import-commit-[0-9a-f-]+: no space left on device$/);
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "full"])).toBe("running");
    expect(await h.ok(["images", "-q"])).toBe(images);
    expect(readdirSync(join(h.root, "content", "ingest"))).toEqual([]);
    expect(used(h.root) - before).toBeLessThan(256 * 1024);
  }, 60_000);
});
