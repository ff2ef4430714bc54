import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, symlinkSync, utimesSync, writeFileSync, readdirSync } from "node:fs";
import { AT_FDCWD, S_IFCHR, S_IFIFO, linuxSys, makeDev } from "../../src/sys/index.ts";
import { TarFormatError, TarParser, TarWriter, encodeHeader, tarDirectory, type TarEntry } from "../../src/image/tar/index.ts";
import { collect, gnuLine, gnuListing, listTar, once, rmrf, run, tempDir } from "./tar-helpers.ts";

const sys = linuxSys();
let dir = "";
let src = "";
beforeAll(() => {
  dir = tempDir("tar-writer");
  src = `${dir}/src`;
  const long = `${src}/${"p".repeat(90)}/${"q".repeat(90)}`;
  mkdirSync(long, { recursive: true });
  writeFileSync(`${long}/${"r".repeat(101)}`, "deep\n");
  writeFileSync(`${src}/big-ids`, "ids");
  chownSync(`${src}/big-ids`, 3_000_000, 2_097_152);
  writeFileSync(`${src}/setuid`, "#!/bin/sh\n");
  chmodSync(`${src}/setuid`, 0o4755);
  chownSync(`${src}/setuid`, 1000, 1000);
  writeFileSync(`${src}/ünïcødé ✓`, "utf-8 name");
  writeFileSync(`${src}/blob`, Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  linkSync(`${src}/blob`, `${src}/blob-link`);
  symlinkSync("blob", `${src}/rel-link`);
  symlinkSync("/" + "s".repeat(200), `${src}/long-link`);
  mkdirSync(`${src}/empty-dir`, 0o1777);
  chmodSync(`${src}/empty-dir`, 0o1777);
  sys.mknodat(AT_FDCWD, `${src}/fifo`, S_IFIFO | 0o644, 0);
  sys.mknodat(AT_FDCWD, `${src}/null`, S_IFCHR | 0o666, makeDev(1, 3));
  writeFileSync(`${src}/xattr`, "x");
  sys.lsetxattr(`${src}/xattr`, "user.one", new TextEncoder().encode("1"));
  sys.lsetxattr(`${src}/xattr`, "user.two", new Uint8Array([0, 255, 10]));
  writeFileSync(`${src}/nsec`, "n");
  utimesSync(`${src}/nsec`, 1_700_000_000.5, 1_700_000_000.5);
});
afterAll(() => rmrf(dir));

async function writeTo(path: string, gen: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const data = await collect(gen);
  await Bun.write(path, data);
  return data;
}

/** mode/uid/gid/type/size/mtime(s)/target of every path under a tree, for comparing two trees */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = `${d}/${n}`, st = lstatSync(p);
      const size = st.isDirectory() ? 0 : st.size;
      out.push(`${rel}${n} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${size} ${Math.floor(st.mtimeMs / 1000)} ${st.rdev} ${st.nlink}`);
      if (st.isDirectory()) walk(p, `${rel}${n}/`);
    }
  };
  walk(root, "");
  return out;
}

describe("tarDirectory read by GNU tar", () => {
  test("listing matches and extraction reproduces the tree", async () => {
    const t = `${dir}/ours.tar`;
    await writeTo(t, tarDirectory(src, { sys, keepNsec: true }));
    const ours = (await listTar(Bun.file(t).stream())).map((i) => gnuLine(i.entry));
    expect(gnuListing(t)).toEqual(ours);
    const out = `${dir}/extracted`;
    mkdirSync(out);
    run(["tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", t, "-C", out]);
    run(["diff", "-r", "--no-dereference", "-x", "fifo", "-x", "null", src, out]); // diff cannot compare specials
    expect(snapshot(out)).toEqual(snapshot(src));
    expect(sys.lgetxattr(`${out}/xattr`, "user.two")).toEqual(new Uint8Array([0, 255, 10]));
    expect(lstatSync(`${out}/nsec`, { bigint: true }).mtimeNs).toBe(1_700_000_000_500_000_000n);
    expect(lstatSync(`${out}/blob`).ino).toBe(lstatSync(`${out}/blob-link`).ino);
    rmrf(out, t);
  });

  test("/etc round trip through GNU tar", async () => {
    const t = `${dir}/etc.tar`;
    await writeTo(t, tarDirectory("/etc", { sys }));
    const out = `${dir}/etc-x`;
    mkdirSync(out);
    run(["tar", "--numeric-owner", "-xpf", t, "-C", out]);
    run(["diff", "-r", "--no-dereference", "/etc", out]);
    rmrf(out, t);
  }, 60_000);

  test("same tree => same bytes; mtime policies apply", async () => {
    const a = await collect(tarDirectory(src, { sys }));
    const b = await collect(tarDirectory(src, { sys }));
    const sha = (d: Uint8Array): string => new Bun.CryptoHasher("sha256").update(d).digest("hex");
    expect(sha(a)).toBe(sha(b));
    const fixed = await collect(tarDirectory(src, { sys, mtime: 1000, uid: 0, gid: 0, prefix: "root" }));
    utimesSync(`${src}/big-ids`, 5, 5);
    const fixed2 = await collect(tarDirectory(src, { sys, mtime: 1000, uid: 0, gid: 0, prefix: "root" }));
    expect(sha(fixed)).toBe(sha(fixed2));
    const items = await listTar(once(fixed));
    expect(items.every((i) => i.entry.mtime === 1000 && i.entry.uid === 0 && i.entry.name.startsWith("root/"))).toBe(true);
    const clamped = await listTar(tarDirectory(src, { mtime: { clamp: 100 } }));
    expect(clamped.find((i) => i.entry.name === "big-ids")?.entry.mtime).toBe(5);
    expect(clamped.find((i) => i.entry.name === "blob")?.entry.mtime).toBe(100);
  });
});

describe("TarWriter headers", () => {
  const base: TarEntry = { name: "a/b", type: "file", mode: 0o644, uid: 1, gid: 2, size: 0, mtime: 1_600_000_000, mtimeNsec: 0 };
  const parse = (h: Uint8Array): TarEntry => {
    const evs = new TarParser().push(h);
    const e = evs.find((x) => x.type === "entry");
    if (!e || e.type !== "entry") throw new Error("no entry");
    return e.entry;
  };

  test("plain entries are a single ustar block", () => {
    expect(encodeHeader(base).length).toBe(512);
    expect(encodeHeader({ ...base, name: "x".repeat(100) }).length).toBe(512);
    expect(encodeHeader({ ...base, name: `${"x".repeat(150)}/${"y".repeat(100)}` }).length).toBe(512); // prefix split
    expect(encodeHeader({ ...base, mtimeNsec: 5 }).length).toBe(512); // nsec dropped without keepNsec
    expect(encodeHeader({ ...base, uid: 0o7777777, gid: 0o7777777, size: 8 * 1024 ** 3 - 1 }).length).toBe(512);
    expect(encodeHeader({ ...base, uid: 8 ** 7 }).length).toBeGreaterThan(512);
    expect(encodeHeader({ ...base, size: 8 * 1024 ** 3 }).length).toBeGreaterThan(512);
  });

  test("pax only when needed, and values survive", () => {
    const cases: Array<[Partial<TarEntry>, object?]> = [
      [{ name: "n".repeat(300) }],
      [{ name: "naïve" }],
      [{ uid: 3_000_000, gid: 2_097_151 }],
      [{ size: 9 * 1024 ** 3 }],
      [{ type: "symlink", linkname: "l".repeat(101) }],
      [{ type: "hardlink", linkname: "ü" }],
      [{ mtimeNsec: 123_456_789 }, { keepNsec: true }],
      [{ mtime: -5, mtimeNsec: 250_000_000 }, { keepNsec: true }],
      [{ xattrs: { "user.a": new Uint8Array([1, 2, 3]), "security.capability": new Uint8Array(20) } }],
      [{ uname: "u".repeat(40), gname: "gé" }],
    ];
    for (const [patch, opts] of cases) {
      const e = { ...base, ...patch } as TarEntry;
      const h = encodeHeader(e, opts);
      expect(h.length).toBeGreaterThan(512);
      expect(String.fromCharCode(h[156]!)).toBe("x");
      const back = parse(h);
      for (const [k, v] of Object.entries(patch)) expect((back as unknown as Record<string, unknown>)[k]).toEqual(v);
    }
  });

  test("devices and directories", () => {
    const dev = parse(encodeHeader({ ...base, type: "char", devmajor: 1, devminor: 3 }));
    expect([dev.type, dev.devmajor, dev.devminor]).toEqual(["char", 1, 3]);
    const d = encodeHeader({ ...base, type: "dir", name: "x" });
    expect(new TextDecoder().decode(d.subarray(0, 2))).toBe("x/");
    expect(parse(d).name).toBe("x");
  });

  test("body size is enforced", async () => {
    const w = new TarWriter();
    expect(() => w.entry({ ...base, size: 3 }, new Uint8Array(2))).toThrow(TarFormatError);
    const gen = w.entry({ ...base, size: 3 }, once(new Uint8Array(5)));
    expect(collect(gen)).rejects.toThrow(/longer than/);
    const ok = [...w.entry({ ...base, size: 3 }, new Uint8Array(3)), w.finish()];
    const all = Buffer.concat(ok);
    expect(all.length).toBe(512 + 512 + 1024);
    expect((await listTar(once(all), true))[0]!.body!.length).toBe(3);
  });
});
