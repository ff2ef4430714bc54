/**
 * Copy-up from hand-built layer dirs: the merged view (whiteouts, opaque dirs, non-dirs hiding dirs),
 * metadata kept, and symlinks that point out of the layer never read the host.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import {
  chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync,
  linkSync, chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { populateVolume } from "../../src/engine/volumes/populate.ts";
import { AT_FDCWD, S_IFCHR } from "../../src/sys/constants.ts";
import { linuxSys } from "../../src/sys/linux.ts";

let tmp = "";
let vol = "";
const sys = linuxSys();

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "bunker-test-populate-"));
  vol = join(tmp, "vol");
  mkdirSync(vol);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function layer(name: string, files: Record<string, string | { link: string } | { whiteout: true } | { dir: true; opaque?: boolean }>): string {
  const root = join(tmp, name);
  mkdirSync(root, { recursive: true });
  for (const [p, v] of Object.entries(files)) {
    const full = join(root, p);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof v === "string") writeFileSync(full, v);
    else if ("link" in v) symlinkSync(v.link, full);
    else if ("whiteout" in v) sys.mknodat(AT_FDCWD, full, S_IFCHR, 0);
    else {
      mkdirSync(full, { recursive: true });
      if (v.opaque) sys.lsetxattr(full, "trusted.overlay.opaque", new Uint8Array([0x79]));
    }
  }
  return root;
}

const tree = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (d: string, pre: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      out.push(`${pre}${n}${st.isDirectory() ? "/" : st.isSymbolicLink() ? ` -> ${readlinkSync(p)}` : `=${readFileSync(p, "utf8")}`}`);
      if (st.isDirectory()) walk(p, `${pre}${n}/`);
    }
  };
  walk(dir, "");
  return out;
};

test("merges layers: upper wins, whiteouts hide, opaque dirs end the merge", () => {
  const lower = layer("l0", { "data/a": "a0", "data/b": "b0", "data/sub/x": "x0", "data/opq/old": "old", "data/f2d": "file" });
  const upper = layer("l1", {
    "data/a": "a1", "data/b": { whiteout: true }, "data/sub/y": "y1", "data/opq": { dir: true, opaque: true }, "data/opq/new": "new", "data/f2d/in": "dir now",
  });
  expect(populateVolume(vol, [upper, lower], "/data")).toBe(true);
  expect(tree(vol)).toEqual(["a=a1", "f2d/", "f2d/in=dir now", "opq/", "opq/new=new", "sub/", "sub/x=x0", "sub/y=y1"]);
});

test("a whiteout or a file in an upper layer hides a lower directory entirely", () => {
  const lower = layer("l0", { "data/x": "x", "gone/y": "y" });
  const upper = layer("l1", { data: "now a file", gone: { whiteout: true } });
  expect(populateVolume(vol, [upper, lower], "/data")).toBe(false);
  expect(populateVolume(vol, [upper, lower], "/gone")).toBe(false);
  expect(readdirSync(vol)).toEqual([]);
});

test("keeps modes, owners, mtimes, symlinks and hard links; the volume root takes the dir's owner and mode", () => {
  const l = layer("l0", { "data/f": "content", "data/s": { link: "../etc/passwd" }, "data/d/g": "g" });
  chownSync(join(l, "data/f"), 1234, 5678);
  chmodSync(join(l, "data/f"), 0o4750);
  linkSync(join(l, "data/f"), join(l, "data/hard"));
  utimesSync(join(l, "data/d"), 1_000_000, 1_000_000);
  chownSync(join(l, "data"), 42, 43);
  chmodSync(join(l, "data"), 0o1777);
  expect(populateVolume(vol, [l], "data")).toBe(true);
  const f = statSync(join(vol, "f"));
  expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([1234, 5678, 0o4750]);
  expect(statSync(join(vol, "hard")).ino).toBe(f.ino);
  expect(readlinkSync(join(vol, "s"))).toBe("../etc/passwd");
  expect(Math.round(statSync(join(vol, "d")).mtimeMs / 1000)).toBe(1_000_000);
  const root = statSync(vol);
  expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([42, 43, 0o1777]);
});

test("the image path as a symlink is resolved inside the image root, never on the host", () => {
  // /data -> /etc (absolute): must mean the image's /etc, not the host's
  const l = layer("l0", { data: { link: "/etc" }, "etc/conf": "image conf", "rel/x": { link: "../../../../../../opt" }, "opt/o": "image opt" });
  expect(populateVolume(vol, [l], "/data")).toBe(true);
  expect(tree(vol)).toEqual(["conf=image conf"]);
  rmSync(vol, { recursive: true });
  mkdirSync(vol);
  // ".." past the root stays at the image root
  expect(populateVolume(vol, [l], "/rel/x")).toBe(true);
  expect(tree(vol)).toEqual(["o=image opt"]);
});

test("a symlink pointing out of the layer is copied as a link, its target never read", () => {
  const l = layer("l0", { "data/host": { link: "/etc/shadow" }, "data/up": { link: "../../../../etc" } });
  expect(populateVolume(vol, [l], "/data")).toBe(true);
  expect(tree(vol)).toEqual(["host -> /etc/shadow", "up -> ../../../../etc"]);
  const v2 = join(tmp, "v2");
  mkdirSync(v2);
  expect(populateVolume(v2, [l], "/data/up")).toBe(false); // image has no /etc
  expect(readdirSync(v2)).toEqual([]);
});

test("a symlink in a lower layer's path under an upper directory is not followed", () => {
  // upper has /data as a real dir; lower has /data as a symlink to the host: the lower one is hidden
  const lower = layer("l0", { data: { link: "/etc" } });
  const upper = layer("l1", { "data/u": "u" });
  expect(populateVolume(vol, [upper, lower], "/data")).toBe(true);
  expect(tree(vol)).toEqual(["u=u"]);
});

test("a volume that already has content is left alone", () => {
  const l = layer("l0", { "data/a": "a" });
  writeFileSync(join(vol, "mine"), "m");
  expect(populateVolume(vol, [l], "/data")).toBe(false);
  expect(tree(vol)).toEqual(["mine=m"]);
});

test("xattrs and file capabilities are kept, overlay markers are not", () => {
  const l = layer("l0", { "data/ping": "elf", "data/d": { dir: true, opaque: true } });
  // cap_net_raw+ep, VFS_CAP_REVISION_2 (what setcap writes)
  const cap = new Uint8Array([0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  sys.lsetxattr(join(l, "data/ping"), "security.capability", cap);
  sys.lsetxattr(join(l, "data/ping"), "user.note", new TextEncoder().encode("hi"));
  expect(populateVolume(vol, [l], "/data")).toBe(true);
  expect(sys.lgetxattr(join(vol, "ping"), "security.capability")).toEqual(cap);
  expect(new TextDecoder().decode(sys.lgetxattr(join(vol, "ping"), "user.note")!)).toBe("hi");
  expect(sys.lgetxattr(join(vol, "d"), "trusted.overlay.opaque")).toBeNull();
});

test("device nodes and fifos are recreated, whiteouts are not copied", () => {
  const l = layer("l0", { "data/keep": "k" });
  sys.mknodat(AT_FDCWD, join(l, "data/null"), S_IFCHR | 0o666, (1 << 8) | 3);
  sys.mknodat(AT_FDCWD, join(l, "data/wh"), S_IFCHR, 0);
  expect(populateVolume(vol, [l], "/data")).toBe(true);
  expect(readdirSync(vol).sort()).toEqual(["keep", "null"]);
  expect(statSync(join(vol, "null")).rdev).toBe((1 << 8) | 3);
});
