/**
 * applyLayer's fast path into an empty directory skips lstat/chown/chmod calls whose answer it already
 * knows (src/image/tar/fresh.ts). These tests pin that the result is still exact: modes the umask would
 * cut, setuid bits, setgid directories that hand their group down, names that come twice, a directory
 * replaced within the same layer.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { TarWriter, applyLayer, type TarEntry } from "../../src/image/tar/index.ts";
import { linuxSys } from "../../src/sys/index.ts";
import { once, rmrf, tempDir } from "./tar-helpers.ts";

const sys = linuxSys();
let root = "";
beforeEach(() => (root = tempDir("test-fresh")));
afterEach(() => rmrf(root));

type Spec = Partial<TarEntry> & { name: string; type: TarEntry["type"]; data?: string };
function tarOf(specs: Spec[]): Uint8Array {
  const w = new TarWriter();
  const parts: Uint8Array[] = [];
  for (const s of specs) {
    const data = s.data !== undefined ? new TextEncoder().encode(s.data) : undefined;
    const e: TarEntry = { mode: 0o644, uid: 0, gid: 0, mtime: 1_600_000_000, mtimeNsec: 0, ...s, size: data?.length ?? 0 };
    delete (e as { data?: string }).data;
    parts.push(...w.entry(e, data));
  }
  parts.push(w.finish());
  return Buffer.concat(parts);
}
const apply = (specs: Spec[]) => applyLayer(once(tarOf(specs)), root, { mode: "overlay", sys });
const st = (p: string) => lstatSync(`${root}/${p}`, { bigint: true });
const mode = (p: string) => Number(st(p).mode & 0o7777n);

describe("applyLayer into an empty directory", () => {
  test("modes and owners come out exact", async () => {
    await apply([
      { name: "a", type: "file", mode: 0o666, data: "umask would cut this" },
      { name: "b", type: "file", mode: 0o4755, uid: 0, gid: 0, data: "setuid" },
      { name: "c", type: "file", mode: 0o2711, uid: 1000, gid: 1000, data: "setgid, not ours" },
      { name: "d", type: "file", mode: 0o640, uid: 33, gid: 0, data: "other owner" },
      { name: "ro", type: "dir", mode: 0o500 },
      { name: "ro/f", type: "file", mode: 0o400, data: "in a read-only dir" },
      { name: "open", type: "dir", mode: 0o777 },
      { name: "ln", type: "symlink", linkname: "a", uid: 5, gid: 6 },
      { name: "fifo", type: "fifo", mode: 0o666 },
    ]);
    expect(mode("a")).toBe(0o666);
    expect(mode("b")).toBe(0o4755);
    expect(mode("c")).toBe(0o2711);
    expect([st("c").uid, st("c").gid]).toEqual([1000n, 1000n]);
    expect(mode("d")).toBe(0o640);
    expect(st("d").uid).toBe(33n);
    expect(mode("ro")).toBe(0o500);
    expect(readFileSync(`${root}/ro/f`, "utf8")).toBe("in a read-only dir");
    expect(mode("open")).toBe(0o777);
    expect([st("ln").uid, st("ln").gid]).toEqual([5n, 6n]);
    expect(mode("fifo")).toBe(0o666);
    expect(st("a").mtimeNs).toBe(1_600_000_000_000_000_000n);
  });

  test("a setgid directory's group is not inherited where the archive says otherwise", async () => {
    await apply([
      { name: "sg", type: "dir", mode: 0o2775, gid: 50 },
      { name: "sg/f", type: "file", mode: 0o644, data: "x" },
      { name: "sg/sub", type: "dir", mode: 0o755 },
      { name: "sg/implicit/g", type: "file", mode: 0o644, data: "y" },
    ]);
    expect(st("sg").gid).toBe(50n);
    expect(st("sg/f").gid).toBe(0n);
    expect(st("sg/sub").gid).toBe(0n);
    expect(mode("sg/sub")).toBe(0o755); // not the setgid bit mkdir passes down
    expect(st("sg/implicit/g").gid).toBe(0n);
  });

  test("names that come twice, and a directory replaced in the same layer", async () => {
    await apply([
      { name: "x", type: "file", data: "first" },
      { name: "x", type: "file", data: "second" },
      { name: "d", type: "dir", mode: 0o755 },
      { name: "d/old", type: "file", data: "old" },
      { name: "d", type: "file", data: "now a file" },
      { name: "d", type: "dir", mode: 0o750 },
      { name: "d/new", type: "file", data: "new" },
      { name: "l", type: "symlink", linkname: "t" },
      { name: "t", type: "dir", mode: 0o755 },
      { name: "l/through", type: "file", data: "via the link" },
    ]);
    expect(readFileSync(`${root}/x`, "utf8")).toBe("second");
    expect(existsSync(`${root}/d/old`)).toBe(false);
    expect(readFileSync(`${root}/d/new`, "utf8")).toBe("new");
    expect(mode("d")).toBe(0o750);
    expect(readFileSync(`${root}/t/through`, "utf8")).toBe("via the link");
    expect(st("l").isSymbolicLink()).toBe(true);
  });

  test("into a directory that is not empty, existing names are still found", async () => {
    await apply([{ name: "keep", type: "file", data: "1" }]);
    await apply([{ name: "keep", type: "file", data: "2" }, { name: "new/f", type: "file", data: "3" }]);
    expect(readFileSync(`${root}/keep`, "utf8")).toBe("2");
    expect(readFileSync(`${root}/new/f`, "utf8")).toBe("3");
  });
});
