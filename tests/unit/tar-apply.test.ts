import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, fstatSync, closeSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { LayerApplyError, TarWriter, applyLayer, tarDirectory, type TarEntry } from "../../src/image/tar/index.ts";
import { O_CLOEXEC, O_PATH, linuxSys, openInRoot } from "../../src/sys/index.ts";
import { collect, once, rmrf, tempDir } from "./tar-helpers.ts";

const sys = linuxSys();
let root = "";
let outside = "";
beforeEach(() => {
  root = tempDir("apply-root");
  outside = tempDir("apply-outside");
});
afterEach(() => rmrf(root, outside));

type Spec = Partial<TarEntry> & { name: string; type: TarEntry["type"]; data?: string };
const now = Math.floor(Date.now() / 1000);
const dir = (name: string, mode = 0o755): Spec => ({ name, type: "dir", mode });
const file = (name: string, data: string, mode = 0o644): Spec => ({ name, type: "file", mode, data });
const symlink = (target: string, name: string): Spec => ({ name, type: "symlink", linkname: target });
const link = (target: string, name: string): Spec => ({ name, type: "hardlink", linkname: target });

function tarOf(specs: Spec[]): Uint8Array {
  const w = new TarWriter();
  const parts: Uint8Array[] = [];
  for (const s of specs) {
    const data = s.data !== undefined ? new TextEncoder().encode(s.data) : undefined;
    const e: TarEntry = { mode: 0o644, uid: 0, gid: 0, mtime: now, mtimeNsec: 0, ...s, size: data?.length ?? 0 };
    delete (e as { data?: string }).data;
    parts.push(...w.entry(e, data));
  }
  parts.push(w.finish());
  return Buffer.concat(parts);
}

const apply = (specs: Spec[], mode: "merge" | "overlay" = "merge") => applyLayer(once(tarOf(specs)), root, { mode, sys });

/** stat of a path resolved as if root were "/" (what a container would see) */
function statIn(p: string): { ino: number; dev: number } {
  const fd = openInRoot(sys, root, p, O_PATH | O_CLOEXEC);
  try {
    const st = fstatSync(fd);
    return { ino: st.ino, dev: st.dev };
  } finally {
    closeSync(fd);
  }
}
const sameFile = (a: string, b: string): boolean => statIn(a).ino === statIn(b).ino;
const read = (p: string): string => readFileSync(`${root}/${p}`, "utf8");

describe("breakouts (containerd's archive tests)", () => {
  const hostUntouched = (): void => {
    expect(existsSync("/etc/unbroken")).toBe(false);
    expect(readFileSync("/etc/passwd", "utf8")).toContain("root:");
  };
  const unbroken = async (specs: Spec[]): Promise<void> => {
    await apply(specs);
    expect(read("etc/unbroken")).toBe("unbroken");
    hostUntouched();
  };
  test("SymlinkAbsolute", () => unbroken([dir("etc"), symlink("/etc", "localetc"), file("/localetc/unbroken", "unbroken")]));
  test("SymlinkUpAndOut", () => unbroken([dir("etc"), dir("dummy"), symlink("/dummy/../etc", "localetc"), file("/localetc/unbroken", "unbroken")]));
  test("SymlinkMultipleAbsolute", () => unbroken([dir("etc"), dir("dummy"), symlink("/etc", "/dummy/etc"), symlink("/dummy/etc", "localetc"), file("/dummy/etc/unbroken", "unbroken")]));
  test("SymlinkMultipleRelative", () => unbroken([dir("etc"), dir("dummy"), symlink("/etc", "/dummy/etc"), symlink("./dummy/etc", "localetc"), file("/dummy/etc/unbroken", "unbroken")]));
  test("SymlinkEmptyFile", async () => {
    await apply([dir("etc"), file("etc/emptied", "notempty"), symlink("/etc", "localetc"), file("/localetc/emptied", "")]);
    expect(read("etc/emptied")).toBe("");
  });

  const passwd = [dir("etc", 0o770), file("/etc/passwd", "inside")];
  const cases: Array<[string, Spec[], string, string]> = [
    ["HardlinkRelative", [...passwd, dir("breakouts"), symlink("../../etc", "breakouts/d1"), link("/breakouts/d1/passwd", "breakouts/mypasswd")], "/breakouts/mypasswd", "/etc/passwd"],
    ["HardlinkDownAndOut", [...passwd, dir("breakouts"), dir("downandout"), symlink("../downandout/../../etc", "breakouts/d1"), link("/breakouts/d1/passwd", "breakouts/mypasswd")], "/breakouts/mypasswd", "/etc/passwd"],
    ["HardlinkAbsolute", [...passwd, symlink("/etc", "localetc"), link("/localetc/passwd", "localpasswd")], "localpasswd", "/etc/passwd"],
    ["HardlinkRelativeLong", [...passwd, symlink("../../../../../../../etc", "localetc"), link("/localetc/passwd", "localpasswd")], "localpasswd", "/etc/passwd"],
    ["HardlinkRelativeUpAndOut", [...passwd, symlink("upandout/../../../etc", "localetc"), link("/localetc/passwd", "localpasswd")], "localpasswd", "/etc/passwd"],
    ["HardlinkDirectRelative", [...passwd, link("../../../../../etc/passwd", "localpasswd")], "localpasswd", "/etc/passwd"],
    ["HardlinkDirectAbsolute", [...passwd, link("/etc/passwd", "localpasswd")], "localpasswd", "/etc/passwd"],
    ["SymlinkParentDirectory", [...passwd, symlink("/etc/", ".."), link("/etc/passwd", "localpasswd")], "/localpasswd", "/etc/passwd"],
    ["SymlinkEmptyFilename", [...passwd, symlink("/etc/", ""), link("/etc/passwd", "localpasswd")], "/localpasswd", "/etc/passwd"],
    ["SymlinkParentRelative", [...passwd, symlink("/etc/", "localetc/sub/.."), link("/etc/passwd", "/localetc/localpasswd")], "/localetc/localpasswd", "/etc/passwd"],
    ["SymlinkSlashEnded", [...passwd, dir("localetc/", 0o770), link("/etc/passwd", "/localetc/localpasswd")], "/localetc/localpasswd", "/etc/passwd"],
    ["HardlinkSymlinkBeforeCreateTarget", [dir("etc", 0o770), symlink("/etc/passwd", "localpasswd"), link("localpasswd", "localpasswd-dup"), file("/etc/passwd", "after")], "localpasswd-dup", "/etc/passwd"],
  ];
  for (const [name, specs, a, b] of cases) {
    test(name, async () => {
      await apply(specs);
      expect(sameFile(a, b)).toBe(true);
      hostUntouched();
    });
  }

  for (const [name, target] of [["HardlinkSymlinkRelative", "../../../../../etc/passwd"], ["HardlinkSymlinkAbsolute", "/etc/passwd"]] as const) {
    test(name, async () => {
      await apply([...passwd, symlink(target, "passwdlink"), link("/passwdlink", "localpasswd")]);
      expect(lstatSync(`${root}/localpasswd`).isSymbolicLink()).toBe(true);
      expect(readlinkSync(`${root}/localpasswd`)).toBe(readlinkSync(`${root}/passwdlink`));
      expect(sameFile("/localpasswd", "/etc/passwd")).toBe(true);
    });
  }

  test("HardlinkSymlinkChmod: a hardlink never changes the mode of what a symlink points at", async () => {
    const p = `${outside}/perm400`, ep = `${outside}/also-exists-outside-root`;
    writeFileSync(p, "...", { mode: 0o400 });
    writeFileSync(ep, "...", { mode: 0o640 });
    chmodSync(p, 0o400);
    await apply([symlink(p, ep), { ...link(ep, "sketchylink"), mode: 0o777 }]);
    expect(lstatSync(p).mode & 0o777).toBe(0o400);
    expect(lstatSync(ep).mode & 0o777).toBe(0o640);
  });

  const pre = (): void => {
    mkdirSync(`${root}/etc`);
    writeFileSync(`${root}/etc/passwd`, "inside");
  };
  test("SymlinkOverrideDirectory", async () => {
    pre();
    mkdirSync(`${root}/localetc`);
    await apply([symlink("/etc", "localetc"), link("/etc/passwd", "/localetc/localpasswd")]);
    expect(sameFile("/localetc/localpasswd", "/etc/passwd")).toBe(true);
  });
  test("SymlinkOverrideDirectoryRelative", async () => {
    pre();
    mkdirSync(`${root}/localetc`);
    await apply([symlink("../../etc", "localetc"), link("/etc/passwd", "/localetc/localpasswd")]);
    expect(sameFile("/localetc/localpasswd", "/etc/passwd")).toBe(true);
  });
  test("DirectoryOverrideSymlink", async () => {
    pre();
    symlinkSync("/etc", `${root}/localetc`);
    await apply([dir("/localetc/"), link("/etc/passwd", "/localetc/localpasswd")]);
    expect(lstatSync(`${root}/localetc`).isDirectory()).toBe(true);
    expect(sameFile("/localetc/localpasswd", "/etc/passwd")).toBe(true);
  });
  test("DirectoryOverrideSymlinkAndHardlink", async () => {
    pre();
    symlinkSync("etc", `${root}/localetc`);
    linkSync(`${root}/etc/passwd`, `${root}/etc/localpasswd`);
    await apply([dir("/localetc/"), file("/localetc/localpasswd", "different")]);
    expect(sameFile("/localetc/localpasswd", "/etc/passwd")).toBe(false);
    expect(read("etc/passwd")).toBe("inside");
  });

  for (const [name, wh] of [["WhiteoutRootParent", ".wh..."], ["WhiteoutParent", "etc/.wh..."], ["WhiteoutRoot", ".wh.."], ["WhiteoutCurrentDirectory", "etc/.wh.."]]) {
    test(`${name} is an invalid archive`, async () => {
      pre();
      expect(apply([file(wh!, "")])).rejects.toBeInstanceOf(LayerApplyError);
    });
  }
  test("WhiteoutSymlink removes the link, not its target", async () => {
    pre();
    symlinkSync("/etc", `${root}/localetc`);
    await apply([file(".wh.localetc", "")]);
    expect(read("etc/passwd")).toBe("inside");
    expect(existsSync(`${root}/localetc`)).toBe(false);
  });
  test("WhiteoutSymlinkPath resolves the parent in the root", async () => {
    pre();
    writeFileSync(`${root}/etc/whitedout`, "x");
    symlinkSync("/etc", `${root}/localetc`);
    await apply([file("localetc/.wh.whitedout", "")]);
    expect(read("etc/passwd")).toBe("inside");
    expect(existsSync(`${root}/etc/whitedout`)).toBe(false);
  });
  test("WhiteoutDirectoryName is just a name", async () => {
    pre();
    await apply([file(".wh.etc/somefile", "non-empty")]);
    expect(read(".wh.etc/somefile")).toBe("non-empty");
    expect(read("etc/passwd")).toBe("inside");
  });
  test("WhiteoutDeadSymlinkParent is a no-op", async () => {
    pre();
    symlinkSync("/dne", `${root}/localetc`);
    await apply([file("localetc/.wh.etc", "")]);
    expect(read("etc/passwd")).toBe("inside");
  });
  test("WhiteoutRelativePath is cleaned lexically", async () => {
    pre();
    symlinkSync("/dne", `${root}/localetc`);
    await apply([file("dne/../.wh.etc", "")]);
    expect(existsSync(`${root}/etc`)).toBe(false);
  });
  test("DirectoryCreation makes missing parents", async () => {
    mkdirSync(`${root}/etc`);
    await apply([dir("/etc/subdir"), dir("/etc/subdir2/"), dir("/etc/subdir2/more"), dir("/other/noparent-1/1"), dir("/other/noparent-2/2/")]);
    for (const d of ["etc/subdir", "etc/subdir2/more", "other/noparent-1/1", "other/noparent-2/2"]) expect(lstatSync(`${root}/${d}`).isDirectory()).toBe(true);
  });
  test("a symlink loop is an error, not a hang", async () => {
    expect(apply([symlink("b", "a"), symlink("a", "b"), file("a/x", "")])).rejects.toThrow(/too many symlinks/);
  });
});

describe("metadata and replacement", () => {
  test("tarDirectory -> applyLayer -> tarDirectory gives the same bytes", async () => {
    const src = tempDir("apply-src");
    try {
      mkdirSync(`${src}/d/sub`, { recursive: true });
      writeFileSync(`${src}/d/sub/f`, "content");
      writeFileSync(`${src}/suid`, "x");
      (await import("node:fs")).chownSync(`${src}/suid`, 1234, 5678);
      chmodSync(`${src}/suid`, 0o4750); // after chown, which clears setuid
      linkSync(`${src}/d/sub/f`, `${src}/hard`);
      symlinkSync("d/sub/f", `${src}/sym`);
      (await import("node:fs")).lchownSync(`${src}/sym`, 7, 8);
      sys.mknodat(-100, `${src}/fifo`, 0o010644, 0);
      sys.mknodat(-100, `${src}/zero`, 0o020600, (1 << 8) | 5);
      sys.lsetxattr(`${src}/d/sub/f`, "user.k", new TextEncoder().encode("v"));
      for (const p of ["d/sub/f", "sym", "d/sub", "d", "fifo"]) {
        sys.utimensat(-100, `${src}/${p}`, { sec: 1_234_567_890, nsec: 123_456_789 }, { sec: 1_234_567_890, nsec: 123_456_789 }, 0x100);
      }
      const tar = await collect(tarDirectory(src, { sys, keepNsec: true }));
      const r = await applyLayer(once(tar), root, { mode: "merge", sys });
      expect(r.entries).toBe(8);
      // Docker's directory.Size: the hardlink once, the symlink by its target's length
      expect(r.size).toBe("content".length + 1 + "d/sub/f".length);
      const again = await collect(tarDirectory(root, { sys, keepNsec: true }));
      expect(Buffer.compare(Buffer.from(again), Buffer.from(tar))).toBe(0);
      expect(lstatSync(`${root}/suid`).mode & 0o7777).toBe(0o4750);
      expect(lstatSync(`${root}/d`, { bigint: true }).mtimeNs).toBe(1_234_567_890_123_456_789n);
      expect(lstatSync(`${root}/zero`).rdev).toBe((1 << 8) | 5);
    } finally {
      rmrf(src);
    }
  });

  test("an entry of another type replaces what is there; dir over dir keeps contents", async () => {
    mkdirSync(`${root}/was-dir/inner`, { recursive: true });
    writeFileSync(`${root}/was-file`, "x");
    mkdirSync(`${root}/keep`);
    writeFileSync(`${root}/keep/old`, "old");
    symlinkSync("/etc", `${root}/was-link`);
    await apply([file("was-dir", "now a file"), dir("was-file"), dir("keep", 0o700), dir("was-link"), file("was-link/f", "in dir")]);
    expect(read("was-dir")).toBe("now a file");
    expect(lstatSync(`${root}/was-file`).isDirectory()).toBe(true);
    expect(read("keep/old")).toBe("old");
    expect(lstatSync(`${root}/keep`).mode & 0o777).toBe(0o700);
    expect(read("was-link/f")).toBe("in dir");
  });
});
