/**
 * Volumes in a real container: planMounts' specs handed to the runtime over a busybox rootfs. Copy-up
 * from the image, data kept on the host, ro enforced, tmpfs options, a tmpfs-backed local volume, and an
 * image whose mount target is a symlink to /etc: the volume lands in the container's /etc, never the
 * host's. Nothing mounted or created stays behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths, setPaths } from "../../src/config.ts";
import { parseMountFlags, planMounts } from "../../src/engine/mounts/index.ts";
import { activateVolumes, releaseVolumes, createVolume, vpaths } from "../../src/engine/volumes/index.ts";
import { launch } from "../../src/runtime/launch.ts";
import type { RuntimeSpec } from "../../src/runtime/spec.ts";
import { makeRootfs, makeSpec, type Rootfs } from "../helpers/rootfs.ts";

const isRoot = process.getuid?.() === 0;
let rootfs: Rootfs;
let image: string;
let tmp = "";
let saved: { root: string; run: string };
const ID = "f".repeat(64);

const mountsUnder = (dir: string) =>
  readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(dir));

beforeAll(() => {
  if (!isRoot) return;
  saved = { ...paths() };
  rootfs = makeRootfs();
  // an upper image layer: /data with content, /link -> /etc (absolute symlink)
  image = join(rootfs.base, "layer2");
  mkdirSync(join(image, "data"), { recursive: true });
  writeFileSync(join(image, "data", "from-image"), "img\n");
  symlinkSync("/etc", join(image, "link"));
  tmp = mkdtempSync("/tmp/bunker-test-vrt-");
  setPaths({ root: join(tmp, "root"), run: join(tmp, "run") });
});
afterEach(() => {
  if (!isRoot) return;
  for (const m of mountsUnder(tmp).sort().reverse()) Bun.spawnSync(["umount", "-l", m]);
});
afterAll(() => {
  if (!isRoot) return;
  setPaths(saved);
  rootfs.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(script: string, mounts: RuntimeSpec["mounts"]) {
  const spec = makeSpec(rootfs, ["sh", "-c", script], { mounts });
  spec.rootfs.lower = [image, rootfs.lower];
  const l = await launch(spec, { io: { stdin: "ignore", stdout: "pipe", stderr: "pipe" } });
  const [out, err, st] = await Promise.all([new Response(l.stdout).text(), new Response(l.stderr).text(), l.wait()]);
  return { out, err, code: st.exitCode };
}

describe("volumes in containers", () => {
  test("named volume gets the image's content, keeps writes; ro is read-only; tmpfs has its options", async () => {
    const plan = planMounts(parseMountFlags({ volume: ["datavol:/data", "rovol:/ro:ro"], tmpfs: ["/scratch:size=1m"] }), {
      containerId: ID, imageLowerDirs: [image, rootfs.lower],
    });
    const r = await run("cat /data/from-image; echo new > /data/written; touch /ro/x 2>/dev/null || echo ro-refused; grep ' /scratch ' /proc/mounts", plan.specs);
    expect(r.err).toBe("");
    expect(r.out).toStartWith("img\nro-refused\ntmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k");
    expect(readFileSync(join(vpaths.data("datavol"), "written"), "utf8")).toBe("new\n");
  });

  test("a mount target that is a symlink to /etc in the image stays inside the container", async () => {
    const hostEtc = new Set(readdirSync("/etc"));
    const plan = planMounts(parseMountFlags({ volume: ["linkvol:/link"] }), { containerId: ID, imageLowerDirs: [image, rootfs.lower] });
    // copy-up followed the link inside the image: the image's /etc (passwd, group), not the host's
    expect(existsSync(join(vpaths.data("linkvol"), "passwd"))).toBe(true);
    expect(readFileSync(join(vpaths.data("linkvol"), "passwd"), "utf8")).toStartWith("root:x:0:0:root:/root:/bin/sh\nnobody");
    const r = await run("echo in-ctr > /link/marker && cat /etc/marker", plan.specs);
    expect(r.out).toBe("in-ctr\n");
    expect(existsSync("/etc/marker")).toBe(false);
    expect(new Set(readdirSync("/etc"))).toEqual(hostEtc);
    expect(readFileSync(join(vpaths.data("linkvol"), "marker"), "utf8")).toBe("in-ctr\n");
  });

  test("a tmpfs-backed local volume is mounted for the container and released after", async () => {
    createVolume({ name: "tmpvol", options: { type: "tmpfs", device: "tmpfs", o: "size=2m" } });
    const plan = planMounts(parseMountFlags({ volume: ["tmpvol:/t"] }), { containerId: ID });
    activateVolumes(plan.inspectMounts, ID);
    try {
      const r = await run("grep ' /t ' /proc/mounts; echo hi > /t/f", plan.specs);
      expect(r.out).toStartWith("tmpfs /t tmpfs rw,relatime,size=2048k");
      expect(readFileSync(join(vpaths.data("tmpvol"), "f"), "utf8")).toBe("hi\n");
    } finally {
      releaseVolumes(plan.inspectMounts, ID);
    }
    expect(mountsUnder(tmp)).toEqual([]);
    expect(existsSync(join(vpaths.data("tmpvol"), "f"))).toBe(false); // it lived on the tmpfs
  });
});
