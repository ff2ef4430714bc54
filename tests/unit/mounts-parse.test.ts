/** -v / --mount / --tmpfs parsing: every form, and Docker's error wording for each bad one. */
import { expect, test } from "bun:test";
import { parseMountFlag, parseMountFlags, parseTmpfsFlag, parseVolumeFlag, ramInBytes, validMountMode } from "../../src/engine/mounts/parse.ts";

const err = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return { msg: (e as Error).message, code: (e as { exitCode?: number }).exitCode };
  }
  throw new Error("expected an error");
};

test("-v /ctr is an anonymous volume", () => {
  expect(parseVolumeFlag("/data")).toMatchObject({ type: "volume", source: "", target: "/data", readonly: false, mode: "" });
});

test("-v name:/ctr[:mode] is a named volume, with ro and nocopy", () => {
  expect(parseVolumeFlag("v1:/data")).toMatchObject({ type: "volume", source: "v1", target: "/data", readonly: false, noCopy: false, raw: "v1:/data" });
  expect(parseVolumeFlag("v1:/data:ro")).toMatchObject({ readonly: true, mode: "ro" });
  expect(parseVolumeFlag("v1:/data:ro,nocopy")).toMatchObject({ readonly: true, noCopy: true, mode: "ro,nocopy" });
  expect(parseVolumeFlag("v1:/data:z")).toMatchObject({ readonly: false, mode: "z" });
});

test("-v /host:/ctr[:mode] is a bind that creates its source", () => {
  expect(parseVolumeFlag("/h//x/:/c")).toMatchObject({ type: "bind", source: "/h/x", target: "/c", createSource: true, propagation: "", readonly: false });
  expect(parseVolumeFlag("/h:/c:ro,rslave")).toMatchObject({ readonly: true, propagation: "rslave", mode: "ro,rslave" });
  expect(parseVolumeFlag("/h:/c:rw,Z")).toMatchObject({ readonly: false, mode: "rw,Z" });
  expect(parseVolumeFlag("./sub:/c", "/work")).toMatchObject({ type: "bind", source: "/work/sub", raw: "/work/sub:/c" });
  expect(parseVolumeFlag(".:/c", "/work")).toMatchObject({ type: "bind", source: "/work" });
});

test("-v errors read like Docker's", () => {
  expect(err(() => parseVolumeFlag("ctr"))).toEqual({
    msg: `Error response from daemon: invalid volume specification: 'ctr': invalid mount config for type "volume": invalid mount path: 'ctr' mount path must be absolute`,
    code: 125,
  });
  expect(err(() => parseVolumeFlag("/host:ctr")).msg).toBe(
    `Error response from daemon: invalid volume specification: '/host:ctr': invalid mount config for type "bind": invalid mount path: 'ctr' mount path must be absolute`,
  );
  expect(err(() => parseVolumeFlag("/a:/b:c:d")).msg).toBe("Error response from daemon: invalid volume specification: '/a:/b:c:d'");
  expect(err(() => parseVolumeFlag("/foo:rw")).msg).toBe("Error response from daemon: invalid volume specification: '/foo:rw'");
  expect(err(() => parseVolumeFlag("a:/b:foo")).msg).toBe("Error response from daemon: invalid mode: foo");
  expect(err(() => parseVolumeFlag("/a:/b:ro,rw")).msg).toBe("Error response from daemon: invalid mode: ro,rw");
  expect(err(() => parseVolumeFlag(":/x")).msg).toBe("invalid spec: :/x: empty section between colons");
  expect(err(() => parseVolumeFlag("/h:/")).msg).toBe(
    `Error response from daemon: invalid volume specification: '/h:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
  );
  expect(err(() => parseVolumeFlag("/h:/c:nocopy")).msg).toBe(
    `Error response from daemon: invalid volume specification: '/h:/c:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`,
  );
  expect(err(() => parseVolumeFlag("v1:/a:rslave")).msg).toBe(
    `Error response from daemon: invalid volume specification: 'v1:/a:rslave': invalid mount config for type "volume": field BindOptions must not be specified`,
  );
});

test("mount modes: known words, one of each kind", () => {
  for (const ok of ["", "ro", "rw", "z", "ro,Z", "nocopy", "rshared", "ro,z,nocopy,rslave,cached"]) expect(validMountMode(ok)).toBe(true);
  for (const bad of ["x", "ro,rw", "z,Z", "shared,slave", "ro,"]) expect(validMountMode(bad)).toBe(false);
});

test("--mount volume (default type), with options", () => {
  expect(parseMountFlag("dst=/x")).toMatchObject({ type: "volume", source: "", target: "/x", mode: "z" });
  const r = parseMountFlag("type=volume,src=v,destination=/d,readonly,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-driver=local");
  expect(r).toMatchObject({ type: "volume", source: "v", target: "/d", readonly: true, noCopy: true, labels: { a: "b" }, driver: "local", driverOpts: { type: "tmpfs", device: "tmpfs" } });
  expect(r.hostMount).toEqual({
    Type: "volume", Source: "v", Target: "/d", ReadOnly: true,
    VolumeOptions: { NoCopy: true, Labels: { a: "b" }, DriverConfig: { Name: "local", Options: { type: "tmpfs", device: "tmpfs" } } },
  });
  expect(parseMountFlag("type=volume,source=v,target=/d,ro=false")).toMatchObject({ readonly: false });
  expect(parseMountFlag('type=volume,src=v,dst=/d,"volume-opt=o=size=1m,uid=1"')).toMatchObject({ driverOpts: { o: "size=1m,uid=1" } });
});

test("--mount bind and tmpfs", () => {
  expect(parseMountFlag("type=bind,src=/tmp,dst=/b,bind-propagation=rslave,ro=1")).toMatchObject({ type: "bind", source: "/tmp", target: "/b", propagation: "rslave", readonly: true, createSource: false });
  expect(parseMountFlag("type=bind,src=/tmp,dst=/b,bind-nonrecursive")).toMatchObject({ nonRecursive: true });
  expect(parseMountFlag("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770")).toMatchObject({ type: "tmpfs", target: "/t", options: ["size=65536k", "mode=1770"] });
  expect(parseMountFlag("type=tmpfs,dst=/t").hostMount).toEqual({ Type: "tmpfs", Target: "/t" });
});

test("--mount errors read like Docker's", () => {
  const flag = (v: string, m: string) => `invalid argument "${v}" for "--mount" flag: ${m}`;
  const cases: Array<[string, string]> = [
    ["type=foo,dst=/x", `Error response from daemon: invalid mount config for type "foo": mount type unknown`],
    ["type=bind,dst=/x", `Error response from daemon: invalid mount config for type "bind": field Source must not be empty`],
    ["type=bind,src=rel,dst=/x", `Error response from daemon: invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    ["type=bind,src=/tmp,dst=/x,bind-propagation=foo", `Error response from daemon: invalid mount config for type "bind": invalid propagation mode: foo`],
    ["type=volume,src=v,dst=x", `Error response from daemon: invalid mount config for type "volume": invalid mount path: 'x' mount path must be absolute`],
    ["type=volume,dst=/x,ro", `Error response from daemon: invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes`],
    ["type=tmpfs,src=a,dst=/x", `Error response from daemon: invalid mount config for type "tmpfs": field Source must not be specified`],
    ["type=volume", flag("type=volume", "target is required")],
    ["type=tmpfs,dst=/x,tmpfs-size=abc", flag("type=tmpfs,dst=/x,tmpfs-size=abc", "invalid value for tmpfs-size: abc")],
    ["type=tmpfs,dst=/x,tmpfs-mode=999", flag("type=tmpfs,dst=/x,tmpfs-mode=999", "invalid value for tmpfs-mode: 999")],
    ["type=volume,dst=/x,foo=bar", flag("type=volume,dst=/x,foo=bar", "unexpected key 'foo' in 'foo=bar'")],
    ["type=volume,dst=/x,readonly=maybe", flag("type=volume,dst=/x,readonly=maybe", "invalid value for readonly: maybe")],
    ["type=bind,src=/tmp,dst=/x,volume-nocopy", flag("type=bind,src=/tmp,dst=/x,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'")],
    ["type=volume,dst=/x,bind-propagation=rslave", flag("type=volume,dst=/x,bind-propagation=rslave", "cannot mix 'bind-*' options with mount type 'volume'")],
    ["dst", flag("dst", "invalid field 'dst' must be a key=value pair")],
  ];
  for (const [v, m] of cases) expect(err(() => parseMountFlag(v))).toEqual({ msg: m, code: 125 });
});

test("--tmpfs /p[:opts]", () => {
  expect(parseTmpfsFlag("/run")).toMatchObject({ type: "tmpfs", target: "/run", options: [] });
  expect(parseTmpfsFlag("/run:size=64m,mode=1777")).toMatchObject({ options: ["size=64m", "mode=1777"] });
  expect(err(() => parseTmpfsFlag("x")).msg).toBe("Error response from daemon: invalid mount path: 'x' mount path must be absolute");
});

test("duplicate targets across flags are refused, compared after cleaning", () => {
  expect(err(() => parseMountFlags({ volume: ["a1:/data", "/tmp:/data"] })).msg).toBe("Error response from daemon: Duplicate mount point: /data");
  expect(err(() => parseMountFlags({ volume: ["a1:/data"], tmpfs: ["/data"] })).msg).toBe("Error response from daemon: Duplicate mount point: /data");
  expect(err(() => parseMountFlags({ volume: ["a1:/data"], mount: ["type=volume,dst=/data/"] })).msg).toBe("Error response from daemon: Duplicate mount point: /data/");
  expect(parseMountFlags({ volume: ["/a"], mount: ["dst=/b"], tmpfs: ["/c"] }).map((r) => r.type)).toEqual(["volume", "volume", "tmpfs"]);
});

test("RAMInBytes", () => {
  expect(ramInBytes("64m")).toBe(64 * 1024 * 1024);
  expect(ramInBytes("1024")).toBe(1024);
  expect(ramInBytes("1.5g")).toBe(1.5 * 1024 ** 3);
  expect(ramInBytes("10 MiB")).toBe(10 * 1024 * 1024);
  expect(ramInBytes("abc")).toBeNull();
});
