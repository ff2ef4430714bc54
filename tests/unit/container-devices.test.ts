/** --device / --device-cgroup-rule: Docker's CLI parsing and wording, and the host lookup the daemon does at start. */
import { afterAll, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkDeviceCgroupRule, deviceRulesOf, devicesFromPath, parseDeviceFlag, validDeviceMode } from "../../src/engine/containers/devices.ts";
import { DEFAULT_DEVICE_RULES, parseDeviceRule } from "../../src/runtime/cgroups/device-rules.ts";
import type { HostConfig } from "../../src/engine/containers/types.ts";

const err = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return { msg: (e as Error).message, code: (e as { exitCode?: number }).exitCode };
  }
  throw new Error("expected an error");
};

const tmp = mkdtempSync("/tmp/bunker-devices-unit-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("HOST alone: the same path in the container, all permissions", () => {
  expect(parseDeviceFlag("/dev/fuse")).toEqual({ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" });
  // the CLI cleans a lone path (path.Clean)
  expect(parseDeviceFlag("/dev//fuse/")).toEqual({ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" });
});

test("HOST:X is permissions when X reads as a mode, else the container path", () => {
  expect(parseDeviceFlag("/dev/sda:rw")).toEqual({ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "rw" });
  expect(parseDeviceFlag("/dev/sda:mr")).toEqual({ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "mr" });
  expect(parseDeviceFlag("/dev/net/tun:/dev/net/tun")).toEqual({ PathOnHost: "/dev/net/tun", PathInContainer: "/dev/net/tun", CgroupPermissions: "rwm" });
  expect(parseDeviceFlag("/dev/sda:/dev/xvdc/")).toMatchObject({ PathInContainer: "/dev/xvdc" });
  // "rr" repeats a letter: no mode, so a (relative) container path
  expect(err(() => parseDeviceFlag("/dev/sda:rr"))).toEqual({ msg: 'invalid argument "/dev/sda:rr" for "--device" flag: rr is not an absolute path', code: 125 });
});

test("HOST:CONTAINER:PERMS", () => {
  expect(parseDeviceFlag("/dev/sda:/dev/xvdc:r")).toEqual({ PathOnHost: "/dev/sda", PathInContainer: "/dev/xvdc", CgroupPermissions: "r" });
  expect(parseDeviceFlag("/dev/sda:/dev/xvdc:wmr")).toMatchObject({ CgroupPermissions: "wmr" });
  expect(err(() => parseDeviceFlag("/dev/sda:/dev/xvdc:rwx"))).toEqual({ msg: 'invalid argument "/dev/sda:/dev/xvdc:rwx" for "--device" flag: bad mode specified: rwx', code: 125 });
  expect(err(() => parseDeviceFlag("/dev/sda:/dev/xvdc:"))).toMatchObject({ msg: 'invalid argument "/dev/sda:/dev/xvdc:" for "--device" flag: bad mode specified: ' });
  expect(err(() => parseDeviceFlag("/dev/sda:xvdc:r")).msg).toBe('invalid argument "/dev/sda:xvdc:r" for "--device" flag: xvdc is not an absolute path');
});

test("bad shapes: Docker's words", () => {
  expect(err(() => parseDeviceFlag("/a:/b:r:x")).msg).toBe('invalid argument "/a:/b:r:x" for "--device" flag: bad format for path: /a:/b:r:x');
  expect(err(() => parseDeviceFlag(":/b")).msg).toBe('invalid argument ":/b" for "--device" flag: bad format for path: :/b');
  expect(err(() => parseDeviceFlag("dev/null")).msg).toBe('invalid argument "dev/null" for "--device" flag: dev/null is not an absolute path');
});

test("validDeviceMode: a non-empty subset of rwm", () => {
  for (const ok of ["r", "w", "m", "rw", "mw", "rwm", "mrw"]) expect(validDeviceMode(ok)).toBe(true);
  for (const bad of ["", "x", "rwx", "rr", "rwmr", "R"]) expect(validDeviceMode(bad)).toBe(false);
});

test("--device-cgroup-rule: Docker's CLI pattern", () => {
  for (const ok of ["c 42:* rmw", "b 8:0 r", "a *:* rwm", "c *:* m"]) expect(checkDeviceCgroupRule(ok)).toBe(ok);
  expect(err(() => checkDeviceCgroupRule("c 1:11"))).toEqual({ msg: `invalid argument "c 1:11" for "--device-cgroup-rule" flag: invalid device cgroup format 'c 1:11'`, code: 125 });
  for (const bad of ["x 1:1 r", "c 1 r", "c 1:1 rx", " c 1:1 r"]) expect(() => checkDeviceCgroupRule(bad)).toThrow("invalid device cgroup format");
});

test("a host node: its type, numbers, mode and owner, at the container path", () => {
  const st = lstatSync("/dev/null");
  expect(devicesFromPath({ PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "r" })).toEqual([
    { path: "/dev/mynull", type: "c", major: 1, minor: 3, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid },
  ]);
  // a symlink is followed (Docker: EvalSymlinks)
  symlinkSync("/dev/zero", join(tmp, "z"));
  expect(devicesFromPath({ PathOnHost: join(tmp, "z"), PathInContainer: "/dev/z", CgroupPermissions: "rwm" })).toMatchObject([{ path: "/dev/z", major: 1, minor: 5 }]);
});

test("what is not a device: Docker's daemon words", () => {
  const f = join(tmp, "file");
  writeFileSync(f, "");
  expect(err(() => devicesFromPath({ PathOnHost: "/dev/nosuch", PathInContainer: "/dev/nosuch", CgroupPermissions: "rwm" }))).toEqual({
    msg: 'error gathering device information while adding custom device "/dev/nosuch": no such file or directory',
    code: 125,
  });
  expect(err(() => devicesFromPath({ PathOnHost: f, PathInContainer: "/x", CgroupPermissions: "rwm" })).msg).toBe(
    `error gathering device information while adding custom device "${f}": not a device node`,
  );
  // a directory without a device below it
  mkdirSync(join(tmp, "empty"));
  expect(err(() => devicesFromPath({ PathOnHost: join(tmp, "empty"), PathInContainer: "/x", CgroupPermissions: "rwm" })).msg).toContain(": not a device node");
});

test("the cgroup list: defaults, then each device with its permissions, then the rules", () => {
  const hc = {
    Devices: [{ PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw" }],
    DeviceCgroupRules: ["c 42:* rmw"],
  } as HostConfig;
  const rules = deviceRulesOf(hc);
  expect(rules).toEqual([...DEFAULT_DEVICE_RULES, "c 1:3 rw", "c 42:* rmw"]);
  // every one is a rule the cgroup layer (v1 and the v2 compiler) takes
  for (const r of rules) expect(() => parseDeviceRule(r)).not.toThrow();
  expect(deviceRulesOf({} as HostConfig)).toEqual([...DEFAULT_DEVICE_RULES]);
});
