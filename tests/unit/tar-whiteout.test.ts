import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import {
  TarWriter, applyLayer, diffOverlayChanges, diffOverlayTar, diffTrees, isOpaqueDir, type TarEntry,
} from "../../src/image/tar/index.ts";
import { linuxSys } from "../../src/sys/index.ts";
import { collect, listTar, once, rmrf, run, tempDir } from "./tar-helpers.ts";

const sys = linuxSys();
let tmp = "";
beforeEach(() => {
  tmp = tempDir("whiteout");
});
afterEach(() => rmrf(tmp));

const T = 1_700_000_000;
function layer(specs: Array<[string, TarEntry["type"], string?]>): Uint8Array {
  const w = new TarWriter();
  const parts: Uint8Array[] = [];
  for (const [name, type, data] of specs) {
    const body = data !== undefined ? new TextEncoder().encode(data) : undefined;
    parts.push(...w.entry({ name, type, mode: type === "dir" ? 0o755 : 0o644, uid: 0, gid: 0, size: body?.length ?? 0, mtime: T, mtimeNsec: 0 }, body));
  }
  parts.push(w.finish());
  return Buffer.concat(parts);
}

const tarWithWhiteouts = layer([
  ["a", "dir"], ["a/x", "file", "x"], [".wh.gone", "file", ""], ["d", "dir"], ["d/.wh..wh..opq", "file", ""],
  ["d/new", "file", "new"], [".wh..wh.plnk", "dir"],
]);

describe("applying whiteouts", () => {
  test("overlay mode writes 0/0 char devices and opaque xattrs", async () => {
    const root = `${tmp}/snap`;
    mkdirSync(root);
    await applyLayer(once(tarWithWhiteouts), root, { mode: "overlay", sys });
    const st = lstatSync(`${root}/gone`);
    expect(st.isCharacterDevice() && st.rdev === 0).toBe(true);
    expect(isOpaqueDir(sys, `${root}/d`)).toBe(true);
    expect(readFileSync(`${root}/d/new`, "utf8")).toBe("new");
    expect(existsSync(`${root}/.wh..wh.plnk`)).toBe(false);
  });

  test("merge mode deletes, and opaque dirs keep only this layer's children", async () => {
    const root = `${tmp}/flat`;
    mkdirSync(`${root}/d/olddir`, { recursive: true });
    writeFileSync(`${root}/d/old`, "old");
    writeFileSync(`${root}/gone`, "bye");
    await applyLayer(once(tarWithWhiteouts), root, { mode: "merge", sys });
    expect(existsSync(`${root}/gone`)).toBe(false);
    expect(readdirSync(`${root}/d`)).toEqual(["new"]);
    expect(isOpaqueDir(sys, `${root}/d`)).toBe(false);
  });

  test("an opaque marker after new children keeps them", async () => {
    const root = `${tmp}/flat2`;
    mkdirSync(`${root}/d`, { recursive: true });
    writeFileSync(`${root}/d/old`, "old");
    await applyLayer(once(layer([["d", "dir"], ["d/sub/f", "file", "f"], ["d/.wh..wh..opq", "file", ""]])), root, { mode: "merge", sys });
    expect(readdirSync(`${root}/d`)).toEqual(["sub"]);
  });
});

function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = `${d}/${n}`, st = lstatSync(p);
      const content = st.isFile() ? readFileSync(p, "utf8") : st.isSymbolicLink() ? "->" : "";
      out.push(`${rel}${n} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${content}`);
      if (st.isDirectory()) walk(p, `${rel}${n}/`);
    }
  };
  walk(root, "");
  return out;
}

describe("producing layers from an overlay upper dir", () => {
  test("a real overlay mount: changes, layer tar, and re-applying it", async () => {
    const base = `${tmp}/lower`, upper = `${tmp}/upper`, work = `${tmp}/work`, merged = `${tmp}/merged`;
    for (const d of [base, upper, work, merged]) mkdirSync(d);
    await applyLayer(once(layer([
      ["etc", "dir"], ["etc/passwd", "file", "root"], ["etc/hosts", "file", "localhost"], ["var", "dir"], ["var/cache", "dir"],
      ["var/cache/a", "file", "a"], ["var/cache/b", "file", "b"], ["usr", "dir"], ["usr/bin", "dir"], ["usr/bin/tool", "file", "v1"],
    ])), base, { mode: "overlay", sys });
    const mount = Bun.spawnSync(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${base},upperdir=${upper},workdir=${work}`, merged]);
    if (mount.exitCode !== 0) {
      console.warn(`overlay mount unavailable, skipped: ${mount.stderr}`);
      return;
    }
    let view: string[];
    try {
      rmSync(`${merged}/etc/hosts`);
      rmSync(`${merged}/var/cache`, { recursive: true });
      mkdirSync(`${merged}/var/cache`);
      writeFileSync(`${merged}/var/cache/c`, "c");
      writeFileSync(`${merged}/usr/bin/tool`, "v2");
      writeFileSync(`${merged}/new`, "new");
      symlinkSync("new", `${merged}/new-link`);
      chmodSync(`${merged}/etc/passwd`, 0o600);
      view = snapshot(merged);
    } finally {
      run(["umount", merged]);
    }
    expect(diffOverlayChanges(upper, [base]).map((c) => `${c.kind} ${c.path}`)).toEqual([
      "C /etc", "D /etc/hosts", "C /etc/passwd", "A /new", "A /new-link", "C /usr", "C /usr/bin", "C /usr/bin/tool",
      "C /var", "C /var/cache", "A /var/cache/c",
    ]);
    const tar = await collect(diffOverlayTar(upper, { sys }));
    const names = (await listTar(once(tar))).map((i) => i.entry.name);
    expect(names).toContain("etc/.wh.hosts");
    expect(names[names.indexOf("var/cache") + 1]).toBe("var/cache/.wh..wh..opq");
    for (const i of await listTar(once(tar))) expect(Object.keys(i.entry.xattrs ?? {}).some((k) => k.startsWith("trusted.overlay."))).toBe(false);

    // merge mode onto a copy of the lower = the merged view
    const flat = `${tmp}/flat`;
    cpSync(base, flat, { recursive: true });
    await applyLayer(once(tar), flat, { mode: "merge", sys });
    expect(snapshot(flat)).toEqual(view);

    // overlay mode into a fresh snapshot, stacked read-only over the lower = the merged view again
    const snap = `${tmp}/snap2`, merged2 = `${tmp}/merged2`;
    mkdirSync(snap);
    mkdirSync(merged2);
    await applyLayer(once(tar), snap, { mode: "overlay", sys });
    run(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${snap}:${base}`, merged2]);
    try {
      expect(snapshot(merged2)).toEqual(view);
    } finally {
      run(["umount", merged2]);
    }
  });
});

describe("diffTrees", () => {
  test("added, changed, deleted, parents marked, mtime-only changes checked by content", () => {
    const lo = `${tmp}/lo`, up = `${tmp}/up`;
    mkdirSync(`${lo}/d/gone-dir/x`, { recursive: true });
    writeFileSync(`${lo}/d/same`, "same");
    writeFileSync(`${lo}/d/edit`, "aaaa");
    writeFileSync(`${lo}/touched`, "t");
    writeFileSync(`${lo}/gone`, "g");
    symlinkSync("a", `${lo}/link`);
    cpSync(lo, up, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    rmSync(`${up}/d/gone-dir`, { recursive: true });
    writeFileSync(`${up}/d/edit`, "bbbb");
    utimesSync(`${up}/d/edit`, T, T);
    utimesSync(`${lo}/d/edit`, T + 1, T + 1);
    utimesSync(`${up}/touched`, T, T);
    rmSync(`${up}/gone`);
    rmSync(`${up}/link`);
    symlinkSync("b", `${up}/link`);
    mkdirSync(`${up}/newdir/inner`, { recursive: true });
    writeFileSync(`${up}/newdir/inner/f`, "f");
    const got = diffTrees(lo, up, { sys }).map((c) => `${c.kind} ${c.path}`);
    expect(got).toEqual(["C /d", "C /d/edit", "D /d/gone-dir", "D /gone", "C /link", "A /newdir", "A /newdir/inner", "A /newdir/inner/f"]);
    const strict = diffTrees(lo, up, { fingerprint: false }).map((c) => `${c.kind} ${c.path}`);
    expect(strict).toContain("C /touched");
  });
});
