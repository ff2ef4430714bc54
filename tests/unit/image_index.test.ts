import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { danglingName, ImageIndex, isDangling } from "../../src/image/index.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function index(): ImageIndex {
  const d = mkdtempSync(join(tmpdir(), "bunker-index-"));
  dirs.push(d);
  return new ImageIndex(d);
}
const desc = (c: string) => ({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${c.repeat(64)}`, size: 100 });

describe("image index", () => {
  test("put, get, list, delete; one file per name", async () => {
    const ix = index();
    expect(ix.get("docker.io/library/a:latest")).toBeNull();
    expect(ix.put("docker.io/library/a:latest", desc("1"))).toBeNull();
    ix.put("docker.io/library/b:latest", desc("2"));
    expect(ix.get("docker.io/library/a:latest")?.target.digest).toBe(desc("1").digest);
    expect(ix.list().map((r) => r.name).sort()).toEqual(["docker.io/library/a:latest", "docker.io/library/b:latest"]);
    expect(readdirSync(ix.root).filter((f) => f.endsWith(".json"))).toHaveLength(2);
    expect(ix.delete("docker.io/library/a:latest")).toBe(true);
    expect(ix.delete("docker.io/library/a:latest")).toBe(false);
    expect(ix.list()).toHaveLength(1);
  });

  test("re-pointing a name keeps createdAt, updates updatedAt, returns the old record", () => {
    const ix = index();
    ix.put("n", desc("1"), new Date("2024-01-01T00:00:00Z"));
    const old = ix.put("n", desc("2"), new Date("2024-02-01T00:00:00Z"));
    expect(old?.target.digest).toBe(desc("1").digest);
    const now = ix.get("n")!;
    expect(now.createdAt).toBe("2024-01-01T00:00:00.000Z");
    expect(now.updatedAt).toBe("2024-02-01T00:00:00.000Z");
  });

  test("annotations on the target are kept (pull records its repo digest there)", () => {
    const ix = index();
    ix.put("n", { ...desc("1"), annotations: { "io.bunker.repo-digest": "x@y" } });
    expect(ix.get("n")?.target.annotations).toEqual({ "io.bunker.repo-digest": "x@y" });
  });

  test("dangling names", () => {
    expect(isDangling(danglingName(desc("1").digest))).toBe(true);
    expect(isDangling("docker.io/library/a:latest")).toBe(false);
  });

  test("withLock serializes read-modify-write across callers", async () => {
    const ix = index();
    ix.put("counter", desc("0"));
    await Promise.all(
      Array.from({ length: 10 }, () =>
        ix.withLock(async () => {
          const n = ix.get("counter")!.target.size;
          await Bun.sleep(1);
          ix.put("counter", { ...desc("0"), size: n + 1 });
        }),
      ),
    );
    expect(ix.get("counter")!.target.size).toBe(110);
  });

  test("stray temp files are removed; a half-written temp is never listed", async () => {
    const ix = index();
    writeFileSync(join(ix.root, "abc.json.1.x.tmp"), "{half");
    expect(ix.list()).toEqual([]);
    expect(await ix.withLock(() => ix.removeStrayTemps())).toEqual(["abc.json.1.x.tmp"]);
  });
});
