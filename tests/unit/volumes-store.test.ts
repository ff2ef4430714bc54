/** The volume store: atomic create, crash debris repair, bind-style local volumes, in-use checks. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dirs, paths, setPaths } from "../../src/config.ts";
import { ConflictError, NotFoundError } from "../../src/errors.ts";
import { FileLock } from "../../src/image/_fs.ts";
import {
  activeUsers, createVolume, ensureMounted, getVolume, listVolumes, pruneVolumes, releaseIfUnused, removeVolume, repairVolumes, volumeUsers, vpaths,
} from "../../src/engine/volumes/index.ts";
import { mountArgs } from "../../src/engine/volumes/local.ts";
import { MS_BIND, MS_NODEV, MS_RDONLY, MS_REC } from "../../src/sys/constants.ts";

let tmp = "";
let saved: { root: string; run: string };

const mountsUnder = (dir: string) =>
  readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(dir));

beforeEach(() => {
  saved = { ...paths() };
  tmp = mkdtempSync(join(tmpdir(), "bunker-test-vstore-"));
  setPaths({ root: join(tmp, "root"), run: join(tmp, "run") });
});
afterEach(() => {
  for (const m of mountsUnder(tmp).sort().reverse()) Bun.spawnSync(["umount", "-l", m]);
  setPaths(saved);
  rmSync(tmp, { recursive: true, force: true });
});

function record(names: string[]): string {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  mkdirSync(join(dirs.containers(), id), { recursive: true });
  writeFileSync(join(dirs.containers(), id, "config.json"), JSON.stringify({ Mounts: names.map((Name) => ({ Type: "volume", Name })) }));
  return id;
}

test("create writes volume.json and _data in one rename; get/list read them back", () => {
  const { volume, created } = createVolume({ name: "v1", labels: { a: "b" }, options: {} });
  expect(created).toBe(true);
  expect(createVolume({ name: "v1" }).created).toBe(false);
  expect(getVolume("v1")).toEqual(volume);
  expect(volume).toMatchObject({ Name: "v1", Driver: "local", Labels: { a: "b" }, Options: {}, Anonymous: false });
  expect(readdirSync(vpaths.dir("v1")).sort()).toEqual(["_data", "volume.json"]);
  expect(listVolumes().map((v) => v.Name)).toEqual(["v1"]);
  expect(() => getVolume("nope")).toThrow(NotFoundError);
  expect(() => getVolume("../etc")).toThrow(NotFoundError);
});

test("repair removes unlocked .tmp-* and .rm-* debris, keeps a create in progress", () => {
  createVolume({ name: "keep" });
  const debris = join(dirs.volumes(), ".tmp-dead");
  const live = join(dirs.volumes(), ".tmp-live");
  const gone = join(dirs.volumes(), ".rm-half");
  for (const d of [debris, live, gone]) mkdirSync(join(d, "_data"), { recursive: true });
  const lock = FileLock.tryAcquire(live)!;
  try {
    expect(repairVolumes().sort()).toEqual([".rm-half", ".tmp-dead"]);
    expect(readdirSync(dirs.volumes()).sort()).toEqual([".tmp-live", "keep"]);
  } finally {
    lock.release();
  }
  expect(repairVolumes()).toEqual([".tmp-live"]);
});

test("a volume dir without volume.json is not a volume, and create replaces it", () => {
  mkdirSync(join(vpaths.dir("half"), "_data"), { recursive: true });
  writeFileSync(join(vpaths.dir("half"), "_data", "junk"), "x");
  expect(listVolumes()).toEqual([]);
  expect(createVolume({ name: "half" }).created).toBe(true);
  expect(readdirSync(vpaths.data("half"))).toEqual([]);
});

test("in use means listed in a container record's Mounts; rm and prune respect it", () => {
  createVolume({ name: "used" });
  createVolume({ name: "free", anonymous: true });
  const id = record(["used"]);
  expect(volumeUsers("used")).toEqual([id]);
  expect(() => removeVolume("used")).toThrow(ConflictError);
  expect(() => removeVolume("used", { force: true })).toThrow(`remove used: volume is in use - [${id}]`);
  expect(pruneVolumes({ all: true }).deleted).toEqual(["free"]);
  expect(removeVolume("nope", { force: true })).toBe(false);
  expect(() => removeVolume("nope")).toThrow(NotFoundError);
});

test("prune filters by label", () => {
  createVolume({ name: "p1", labels: { keep: "1" } });
  createVolume({ name: "p2", labels: {} });
  expect(pruneVolumes({ all: true, filters: ["label!=keep"] }).deleted).toEqual(["p2"]);
  expect(pruneVolumes({ all: true, filters: ["label=keep=1"] }).deleted).toEqual(["p1"]);
  expect(() => pruneVolumes({ filters: ["foo=1"] })).toThrow("invalid filter 'foo'");
  createVolume({ name: "p3" });
  expect(pruneVolumes({}).deleted).toEqual([]);
  expect(pruneVolumes({ filters: ["all=true"] }).deleted).toEqual(["p3"]);
});

test("'o' words become mount flags, the rest mount data", () => {
  expect(mountArgs({ type: "tmpfs", device: "tmpfs", o: "size=1m,ro,nodev,uid=1000" })).toEqual({ source: "tmpfs", fstype: "tmpfs", flags: MS_RDONLY | MS_NODEV, data: "size=1m,uid=1000" });
  expect(mountArgs({ type: "none", device: "/srv", o: "rbind" })).toEqual({ source: "/srv", fstype: "none", flags: MS_BIND | MS_REC, data: "" });
});

test("a bind-style local volume mounts the host dir; rm unmounts it and never deletes host files", () => {
  const host = join(tmp, "hostdir");
  mkdirSync(host);
  writeFileSync(join(host, "precious"), "keep me");
  createVolume({ name: "bv", options: { type: "none", device: host, o: "bind" } });
  const ctr = "d".repeat(64);
  expect(ensureMounted("bv", ctr)).toBe(vpaths.data("bv"));
  expect(readFileSync(join(vpaths.data("bv"), "precious"), "utf8")).toBe("keep me");
  expect(activeUsers("bv")).toEqual([ctr]);
  expect(removeVolume("bv")).toBe(true);
  expect(mountsUnder(tmp)).toEqual([]);
  expect(readFileSync(join(host, "precious"), "utf8")).toBe("keep me");
  expect(existsSync(vpaths.dir("bv"))).toBe(false);
  releaseIfUnused("bv", ctr); // idempotent after removal
});

test("a failing mount leaves no active user behind", () => {
  createVolume({ name: "badmount", options: { type: "none", device: join(tmp, "missing"), o: "bind" } });
  expect(() => ensureMounted("badmount", "e".repeat(64))).toThrow("failed to mount local volume");
  expect(activeUsers("badmount")).toEqual([]);
  expect(mountsUnder(tmp)).toEqual([]);
});
