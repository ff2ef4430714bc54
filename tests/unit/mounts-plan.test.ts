/** planMounts: runtime specs, Docker-shaped records, volumes created (named, anonymous, image VOLUME). */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paths, setPaths } from "../../src/config.ts";
import { parseMountFlags } from "../../src/engine/mounts/parse.ts";
import { discardPlan, planMounts, removeAnonymousVolumes } from "../../src/engine/mounts/plan.ts";
import { createVolume, getVolume, listVolumes, pruneVolumes, removeVolume, vpaths } from "../../src/engine/volumes/store.ts";
import { dropVolumeClaim } from "../../src/engine/volumes/users.ts";
import { dirs } from "../../src/config.ts";

let tmp = "";
let saved: { root: string; run: string };
const ID = "c".repeat(64);

beforeEach(() => {
  saved = { ...paths() };
  tmp = mkdtempSync(join(tmpdir(), "bunker-test-plan-"));
  setPaths({ root: join(tmp, "root"), run: join(tmp, "run") });
});
afterEach(() => {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "");
  for (const m of mounts.filter((m) => m.startsWith(tmp)).sort().reverse()) Bun.spawnSync(["umount", "-l", m]);
  setPaths(saved);
  rmSync(tmp, { recursive: true, force: true });
});

test("named, anonymous, bind and tmpfs requests become specs and Docker's records", () => {
  const host = join(tmp, "host", "new");
  const reqs = parseMountFlags({
    volume: ["v1:/data:ro", `${host}:/h`, "/anon"],
    mount: ["type=tmpfs,dst=/tm,tmpfs-size=1m", `type=bind,src=${tmp},dst=/b,bind-propagation=rslave`],
    tmpfs: ["/t:size=64m"],
  });
  const plan = planMounts(reqs, { containerId: ID });
  expect(existsSync(host)).toBe(true); // -v creates a missing host dir
  const anon = plan.anonymousVolumes[0]!;
  expect(anon).toMatch(/^[0-9a-f]{64}$/);
  expect(getVolume(anon).Anonymous).toBe(true);
  expect(getVolume(anon).Labels).toEqual({ "com.docker.volume.anonymous": "" });
  expect(getVolume("v1").Anonymous).toBe(false);
  expect(plan.specs).toEqual([
    { destination: "/data", type: "bind", source: vpaths.data("v1"), options: ["rbind", "ro", "rprivate"] },
    { destination: "/h", type: "bind", source: host, options: ["rbind", "rprivate"] },
    { destination: "/anon", type: "bind", source: vpaths.data(anon), options: ["rbind", "rprivate"] },
    { destination: "/tm", type: "tmpfs", source: "tmpfs", options: ["noexec", "nosuid", "nodev", "size=1024k"] },
    { destination: "/b", type: "bind", source: tmp, options: ["rbind", "rslave"] },
    { destination: "/t", type: "tmpfs", source: "tmpfs", options: ["noexec", "nosuid", "nodev", "size=64m"] },
  ]);
  expect(plan.inspectMounts).toEqual([
    { Type: "volume", Name: "v1", Source: vpaths.data("v1"), Destination: "/data", Driver: "local", Mode: "ro", RW: false, Propagation: "" },
    { Type: "bind", Source: host, Destination: "/h", Mode: "", RW: true, Propagation: "rprivate" },
    { Type: "volume", Name: anon, Source: vpaths.data(anon), Destination: "/anon", Driver: "local", Mode: "", RW: true, Propagation: "" },
    { Type: "tmpfs", Source: "", Destination: "/tm", Mode: "", RW: true, Propagation: "" },
    { Type: "bind", Source: tmp, Destination: "/b", Mode: "", RW: true, Propagation: "rslave" },
  ]);
  expect(plan.binds).toEqual(["v1:/data:ro", `${host}:/h`]);
  expect(plan.tmpfs).toEqual({ "/t": "size=64m" });
  expect(plan.configVolumes).toEqual({ "/anon": {} });
  expect(plan.hostMounts.map((m) => m.Type)).toEqual(["tmpfs", "bind"]);
  expect(plan.volumes).toEqual(["v1", anon]);
});

test("image VOLUME entries become anonymous volumes unless a request covers them", () => {
  const plan = planMounts(parseMountFlags({ volume: ["named:/covered/"] }), { containerId: ID, imageVolumes: ["/covered", "/free"] });
  expect(plan.anonymousVolumes).toHaveLength(1);
  expect(plan.inspectMounts.map((m) => [m.Destination, m.Name === "named"])).toEqual([["/covered/", true], ["/free", false]]);
  expect(plan.configVolumes).toEqual({}); // image volumes are in the image config already
  expect(plan.binds).toEqual(["named:/covered/"]);
});

test("--mount type=bind with a missing source fails and leaves no volume behind", () => {
  const reqs = parseMountFlags({ volume: ["/anon"], mount: ["type=bind,src=/nope-bunker-test,dst=/x"] });
  expect(() => planMounts(reqs, { containerId: ID })).toThrow(
    `Error response from daemon: invalid mount config for type "bind": bind source path does not exist: /nope-bunker-test`,
  );
  expect(listVolumes()).toEqual([]);
});

test("--mount volume options create the named volume with them; an existing one is reused as is", () => {
  planMounts(parseMountFlags({ mount: ["src=lab,dst=/x,volume-label=k=v"] }), { containerId: ID });
  expect(getVolume("lab").Labels).toEqual({ k: "v" });
  planMounts(parseMountFlags({ mount: ["src=lab,dst=/x,volume-label=k=other"] }), { containerId: ID });
  expect(getVolume("lab").Labels).toEqual({ k: "v" });
  expect(() => planMounts(parseMountFlags({ volume: ["bad/name:/x"] }), { containerId: ID })).toThrow(
    `create bad/name: "bad/name" includes invalid characters for a local volume name`,
  );
});

test("copy-up fills empty volumes from the image unless nocopy", () => {
  const layer = join(tmp, "layer");
  mkdirSync(join(layer, "data"), { recursive: true });
  writeFileSync(join(layer, "data", "f"), "img\n");
  const plan = planMounts(parseMountFlags({ volume: ["vv:/data", "/data2"] }), {
    containerId: ID, imageLowerDirs: [layer],
  });
  expect(existsSync(join(vpaths.data("vv"), "f"))).toBe(true);
  const plan2 = planMounts(parseMountFlags({ volume: ["nc:/data:nocopy"] }), { containerId: ID, imageLowerDirs: [layer] });
  expect(existsSync(join(vpaths.data("nc"), "f"))).toBe(false);
  expect(plan.anonymousVolumes.length + plan2.anonymousVolumes.length).toBe(1);
  expect(statSync(vpaths.data("vv")).isDirectory()).toBe(true);
});

test("discardPlan and removeAnonymousVolumes remove only anonymous volumes", () => {
  const plan = planMounts(parseMountFlags({ volume: ["keep:/k", "/a1"] }), { containerId: ID, imageVolumes: ["/a2"] });
  expect(plan.anonymousVolumes).toHaveLength(2);
  expect(removeAnonymousVolumes(plan.inspectMounts, ID).sort()).toEqual([...plan.anonymousVolumes].sort());
  expect(listVolumes().map((v) => v.Name)).toEqual(["keep"]);
  const p2 = planMounts(parseMountFlags({ volume: ["/a3"] }), { containerId: ID });
  discardPlan(p2);
  expect(listVolumes().map((v) => v.Name)).toEqual(["keep"]);
});

test("copy-up into a bind-style local volume mounts it for the copy: the files land in the device dir", () => {
  const layer = join(tmp, "layer");
  mkdirSync(join(layer, "srv"), { recursive: true });
  writeFileSync(join(layer, "srv", "index.html"), "hi\n");
  const host = join(tmp, "device");
  mkdirSync(host);
  createVolume({ name: "web", options: { type: "none", device: host, o: "bind" } });
  planMounts(parseMountFlags({ volume: ["web:/srv"] }), { containerId: ID, imageLowerDirs: [layer] });
  expect(readFileSync(join(host, "index.html"), "utf8")).toBe("hi\n");
  expect(readdirSync(vpaths.data("web"))).toEqual([]); // released again: _data is the bare dir
});

test("volumes of a plan are claimed until the container record exists: rm and prune keep them", () => {
  const plan = planMounts(parseMountFlags({ volume: ["claimed:/c", "/anon"] }), { containerId: ID });
  expect(() => removeVolume("claimed")).toThrow(`remove claimed: volume is in use - [${ID}]`);
  expect(pruneVolumes({ all: true }).deleted).toEqual([]);
  // the record now speaks for the container; once it is gone, nothing pins the volumes
  mkdirSync(join(dirs.containers(), ID), { recursive: true });
  writeFileSync(join(dirs.containers(), ID, "config.json"), JSON.stringify({ Mounts: plan.inspectMounts }));
  expect(() => removeVolume("claimed")).toThrow("volume is in use");
  rmSync(join(dirs.containers(), ID), { recursive: true });
  expect(removeVolume("claimed")).toBe(true);
  expect(pruneVolumes({}).deleted).toEqual(plan.anonymousVolumes);
  dropVolumeClaim(ID);
});
