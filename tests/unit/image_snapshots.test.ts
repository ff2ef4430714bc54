import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chainIds, SnapshotError, Snapshotter } from "../../src/image/snapshots.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function snapshotter(): Snapshotter {
  const d = mkdtempSync(join(tmpdir(), "bunker-snap-"));
  dirs.push(d);
  return new Snapshotter(d);
}
const id = (c: string) => `sha256:${c.repeat(64)}`;

async function layer(s: Snapshotter, chainId: string, parent?: string, file = "f") {
  const p = await s.prepare(parent);
  writeFileSync(join(p.dir, file), chainId);
  return p.commit(chainId, 10);
}

describe("chain IDs", () => {
  test("follow the OCI definition", () => {
    const [a, b] = [id("a"), id("b")];
    const chain = chainIds([a, b]);
    expect(chain[0]).toBe(a);
    expect(chain[1]).toBe(`sha256:${new Bun.CryptoHasher("sha256").update(`${a} ${b}`).digest("hex")}`);
    expect(chainIds([])).toEqual([]);
  });
});

describe("snapshotter", () => {
  test("prepare unpacks into a tmp dir that commit renames to a numbered dir", async () => {
    const s = snapshotter();
    const p = await s.prepare();
    expect(p.dir).toMatch(/\/tmp-[^/]+\/fs$/);
    writeFileSync(join(p.dir, "hello"), "x");
    expect(s.stat(id("1"))).toBeNull();
    const info = await p.commit(id("1"), 1);
    expect(info).toMatchObject({ chainId: id("1"), n: 1, size: 1 });
    expect(readFileSync(join(s.fsPath(id("1")), "hello"), "utf8")).toBe("x");
    expect(readdirSync(s.root).filter((n) => n.startsWith("tmp-"))).toEqual([]);
  });

  test("numbers are allocated in order and never reused while a dir exists", async () => {
    const s = snapshotter();
    await layer(s, id("1"));
    mkdirSync(join(s.root, "2")); // a stray dir (say, left by a crash) is skipped
    const b = await layer(s, id("2"), id("1"));
    expect(b.n).toBe(3);
    expect(b.parent).toBe(id("1"));
  });

  test("concurrent commits of the same chain ID keep one snapshot", async () => {
    const s = snapshotter();
    const results = await Promise.all([1, 2, 3, 4].map(() => layer(s, id("c"))));
    expect(new Set(results.map((r) => r.n)).size).toBe(1);
    expect(s.list()).toHaveLength(1);
    expect(readdirSync(s.root).filter((n) => /^\d+$/.test(n))).toEqual([String(results[0]!.n)]);
  });

  test("mounts: bind for one layer, overlay top-first for several, upper/work when writable", async () => {
    const s = snapshotter();
    await layer(s, id("1"));
    await layer(s, id("2"), id("1"));
    await layer(s, id("3"), id("2"));
    const fs = (c: string) => s.fsPath(c);
    expect(s.mounts(id("1"))).toEqual([{ type: "bind", source: fs(id("1")), options: ["ro", "rbind"] }]);
    expect(s.mounts(id("3"))).toEqual([{ type: "overlay", source: "overlay", options: [`lowerdir=${fs(id("3"))}:${fs(id("2"))}:${fs(id("1"))}`] }]);
    const rw = s.mounts(id("1"), { upperdir: "/u", workdir: "/w" });
    expect(rw[0]!.options).toEqual([`lowerdir=${fs(id("1"))}`, "upperdir=/u", "workdir=/w"]);
  });

  test("remove refuses a parent, then removes children first", async () => {
    const s = snapshotter();
    const a = await layer(s, id("1"));
    await layer(s, id("2"), id("1"));
    await expect(s.remove(id("1"))).rejects.toBeInstanceOf(SnapshotError);
    await s.remove(id("2"));
    await s.remove(id("1"));
    expect(s.list()).toEqual([]);
    expect(existsSync(join(s.root, String(a.n)))).toBe(false);
  });

  test("prepare on a missing parent fails; abort leaves nothing", async () => {
    const s = snapshotter();
    await expect(s.prepare(id("9"))).rejects.toBeInstanceOf(SnapshotError);
    const p = await s.prepare();
    p.abort();
    expect(readdirSync(s.root).filter((n) => n.startsWith("tmp-"))).toEqual([]);
  });

  test("repair removes crash debris but not work in progress", async () => {
    const s = snapshotter();
    await layer(s, id("1"));
    const live = await s.prepare();
    mkdirSync(join(s.root, "tmp-dead/fs"), { recursive: true });
    mkdirSync(join(s.root, "rm-7"));
    mkdirSync(join(s.root, "42")); // renamed into place, but the index write never happened
    writeFileSync(join(s.root, "index.json.123.abc.tmp"), "{");
    const removed = await s.repair();
    expect(removed.sort()).toEqual(["42", "index.json.123.abc.tmp", "rm-7", "tmp-dead"].sort());
    expect(existsSync(live.dir)).toBe(true);
    expect(s.stat(id("1"))).not.toBeNull();
    live.abort();
  });
});
