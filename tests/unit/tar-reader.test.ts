import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { linkSync, mkdirSync, symlinkSync, writeFileSync, utimesSync, chownSync, readFileSync, existsSync } from "node:fs";
import { linuxSys } from "../../src/sys/index.ts";
import { TarFormatError, TarParser, readTar } from "../../src/image/tar/index.ts";
import { chunked, collect, gnuLine, gnuListing, listTar, once, rmrf, run, tempDir } from "./tar-helpers.ts";

let dir = "";
beforeAll(() => {
  dir = tempDir("tar-reader");
});
afterAll(() => rmrf(dir));

async function ourListing(path: string): Promise<string[]> {
  return (await listTar(Bun.file(path).stream())).map(({ entry }) => gnuLine(entry));
}

describe("round trip against GNU tar", () => {
  for (const [label, src, fmt] of [
    ["/usr/share/doc (pax, xattrs)", "/usr/share/doc", "--xattrs"],
    ["/etc (pax, xattrs)", "/etc", "--xattrs"],
    ["/etc (gnu)", "/etc", "--format=gnu"],
    ["/etc (ustar-compatible v7 names via posix)", "/etc", "--format=posix"],
  ] as const) {
    test(label, async () => {
      const tarPath = `${dir}/rt-${Math.random().toString(36).slice(2)}.tar`;
      Bun.spawnSync(["tar", fmt, "--numeric-owner", "-cf", tarPath, src]); // exit 1 = "file changed", fine
      expect(existsSync(tarPath)).toBe(true);
      const ours = await ourListing(tarPath);
      const gnu = gnuListing(tarPath);
      expect(ours.length).toBeGreaterThan(100);
      expect(ours).toEqual(gnu);
      rmrf(tarPath);
    }, 60_000);
  }

  test("bodies match the files GNU tar extracts", async () => {
    const tarPath = `${dir}/bodies.tar`;
    Bun.spawnSync(["tar", "--numeric-owner", "-cf", tarPath, "-C", "/usr/share/doc", "."]);
    const out = `${dir}/bodies-x`;
    mkdirSync(out);
    run(["tar", "-xf", tarPath, "-C", out]);
    let files = 0;
    for await (const { entry, body } of readTar(Bun.file(tarPath).stream())) {
      const data = await collect(body);
      expect(data.length).toBe(entry.type === "file" ? entry.size : 0);
      if (entry.type === "file" && files++ % 7 === 0) expect(Buffer.compare(data, readFileSync(`${out}/${entry.name}`))).toBe(0);
    }
    expect(files).toBeGreaterThan(50);
    rmrf(tarPath, out);
  }, 60_000);
});

describe("pax, GNU and odd headers", () => {
  let src = "";
  let expected: string[] = [];
  beforeAll(() => {
    src = `${dir}/src`;
    const long = "d".repeat(60) + "/" + "e".repeat(70) + "/" + "f".repeat(90);
    mkdirSync(`${src}/${long}`, { recursive: true });
    writeFileSync(`${src}/${long}/${"n".repeat(120)}.txt`, "long name\n");
    symlinkSync("t".repeat(150) + "/target", `${src}/longlink`);
    writeFileSync(`${src}/bigid`, "x");
    chownSync(`${src}/bigid`, 3_000_000, 3_000_001);
    writeFileSync(`${src}/ns`, "ns");
    utimesSync(`${src}/ns`, 1_600_000_000.25, 1_600_000_000.25);
    writeFileSync(`${src}/üñí`, "utf8");
    linkSync(`${src}/ns`, `${src}/ns-hard`);
    writeFileSync(`${src}/xattr`, "x");
    linuxSys().lsetxattr(`${src}/xattr`, "user.bunker.test", new TextEncoder().encode("v\u0000al"));
    expected = [];
  });

  for (const fmt of ["--format=pax", "--format=gnu", "--format=posix"]) {
    test(`${fmt}: long names, long links, big ids, sub-second mtime, utf-8, hardlinks`, async () => {
      const t = `${dir}/odd-${fmt.slice(9)}.tar`;
      run(["tar", fmt, "--xattrs", "--xattrs-include=user.*", "--numeric-owner", "-cf", t, "-C", src, "."]);
      const ours = await ourListing(t);
      expect(ours).toEqual(gnuListing(t));
      const items = await listTar(Bun.file(t).stream());
      const byName = new Map(items.map((i) => [i.entry.name, i.entry]));
      expect(byName.get("bigid")?.uid).toBe(3_000_000);
      expect(byName.get("bigid")?.gid).toBe(3_000_001);
      expect(byName.get("longlink")?.linkname).toBe("t".repeat(150) + "/target");
      expect(byName.has("üñí")).toBe(true);
      expect(byName.get("ns-hard")?.type === "hardlink" || byName.get("ns")?.type === "hardlink").toBe(true);
      if (fmt !== "--format=gnu") {
        expect(byName.get("ns")?.mtimeNsec ?? byName.get("ns-hard")?.mtimeNsec).toBe(250_000_000);
        expect(new TextDecoder().decode(byName.get("xattr")?.xattrs?.["user.bunker.test"])).toBe("v\u0000al");
      }
      expect([...byName.keys()].some((n) => n.endsWith(".txt") && n.length > 300)).toBe(true);
    });
  }

  test("arbitrary chunk boundaries give the same events", async () => {
    const t = `${dir}/odd-pax.tar`;
    const data = readFileSync(t);
    const whole = await listTar(once(data), true);
    for (const size of [1, 7, 511, 513, 4096]) {
      const parts = await listTar(chunked(data, () => size), true);
      expect(parts).toEqual(whole);
    }
    let seed = 1;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % 3000;
    expect(await listTar(chunked(data, rnd), true)).toEqual(whole);
  });

  test("pax global headers are parsed and ignored", () => {
    const t = `${dir}/global.tar`;
    run(["tar", "--format=pax", "--pax-option=globexthdr.name=g,comment=hello", "-cf", t, "-C", src, "ns"]);
    const head = readFileSync(t);
    expect(head[156]).toBe("g".charCodeAt(0));
    const evs = new TarParser().push(head);
    expect(evs.filter((e) => e.type === "entry").length).toBe(1);
  });

  test("GNU sparse files are refused", async () => {
    const f = `${src}/../sparse-src`;
    mkdirSync(f, { recursive: true });
    run(["truncate", "-s", "64M", `${f}/sparse`]);
    writeFileSync(`${f}/sparse`, "data", { flag: "r+" });
    for (const fmt of ["--format=gnu", "--format=pax"]) {
      const t = `${dir}/sparse-${fmt.slice(9)}.tar`;
      run(["tar", "-S", fmt, "-cf", t, "-C", f, "sparse"]);
      const err = await listTar(Bun.file(t).stream()).catch((e) => e);
      expect(err).toBeInstanceOf(TarFormatError);
      expect(String(err.message)).toMatch(/sparse files are not supported/);
      expect(err.message).toMatch(/^tar: entry "/);
    }
  });
});

describe("end of archive and refusals", () => {
  const block = (): Uint8Array => {
    const t = `${dir}/one.tar`;
    writeFileSync(`${dir}/one`, "hello");
    run(["tar", "--format=ustar", "-cf", t, "-C", dir, "one"]);
    return readFileSync(t);
  };

  test("EOF after one zero block, or right at a header boundary, is a clean end", async () => {
    const data = block();
    expect((await listTar(once(data.subarray(0, 1536)))).length).toBe(1); // header + body + 1 zero block
    expect((await listTar(once(data.subarray(0, 1024)))).length).toBe(1); // no end marker at all
  });

  test("truncated header or body is an error", async () => {
    const data = block();
    for (const cut of [100, 512 + 3, 1000]) {
      const err = await listTar(once(data.subarray(0, cut)), true).catch((e) => e);
      expect(err).toBeInstanceOf(TarFormatError);
      expect(err.message).toMatch(/unexpected end of archive/);
    }
  });

  test("base-256 numbers (GNU): size over 8 GiB, negative mtime", async () => {
    const { encodeHeader } = await import("../../src/image/tar/index.ts");
    const h = Buffer.from(encodeHeader({ name: "big", type: "file", mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0, mtimeNsec: 0 }));
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h.writeUIntBE(9 * 1024 ** 3, 136 - 6, 6); // 9 GiB in the low bytes
    h.fill(0xff, 136, 148); // -1 in two's complement
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += h[i]!;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    const ev = new TarParser().push(h).find((e) => e.type === "entry");
    expect(ev?.type === "entry" && [ev.entry.size, ev.entry.mtime]).toEqual([9 * 1024 ** 3, -1]);
  });

  test("bad checksum, unknown type, garbage numbers", async () => {
    const data = block();
    const bad = Buffer.from(data);
    bad[10] = bad[10]! ^ 1;
    expect(await listTar(once(bad)).catch((e) => e.message)).toMatch(/bad header checksum/);
    const fix = (b: Buffer): Buffer => {
      b.fill(0x20, 148, 156);
      let s = 0;
      for (let i = 0; i < 512; i++) s += b[i]!;
      b.write(s.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
      return b;
    };
    const v = fix(Object.assign(Buffer.from(data), {}).fill("V", 156, 157));
    expect(await listTar(once(v)).catch((e) => e.message)).toMatch(/unsupported entry type 'V'/);
    const g = Buffer.from(data);
    g.write("9x9x9x9x9x9\0", 124, "latin1");
    expect(await listTar(once(fix(g))).catch((e) => e.message)).toMatch(/invalid size field/);
  });
});

test("listTarFile (seeking) lists what readTar reads", async () => {
  const d = tempDir("tar-list");
  try {
    writeFileSync(`${d}/big`, Buffer.alloc(200_000, 1));
    writeFileSync(`${d}/small`, "s");
    run(["tar", "--format=pax", "-cf", `${d}/t.tar`, "-C", d, "big", "small"]);
    const { listTarFile } = await import("../../src/image/tar/index.ts");
    const a = [...listTarFile(`${d}/t.tar`)];
    const b = (await listTar(Bun.file(`${d}/t.tar`).stream())).map((i) => i.entry);
    expect(a).toEqual(b);
    expect(a.map((e) => e.name)).toEqual(["big", "small"]);
  } finally {
    rmrf(d);
  }
});
