import { describe, expect, test } from "bun:test";
import {
  ALL_CAPABILITIES, CapabilityError, capMask, capName, capNumber, capabilityMasks, capabilitySpec, capsFromMask,
  currentBoundingCaps, normalizeCapabilities, tweakCapabilities,
} from "../../src/runtime/caps.ts";
import { DEFAULT_CAPABILITIES } from "../../src/runtime/spec.ts";

const ALL = [...ALL_CAPABILITIES];

describe("capability names and numbers", () => {
  test("all 41 capabilities, CAP_CHOWN=0 … CAP_CHECKPOINT_RESTORE=40", () => {
    expect(ALL.length).toBe(41);
    expect(capNumber("CAP_CHOWN")).toBe(0);
    expect(capNumber("CAP_SYS_ADMIN")).toBe(21);
    expect(capNumber("CAP_CHECKPOINT_RESTORE")).toBe(40);
    expect(capName(29)).toBe("CAP_AUDIT_WRITE");
    expect(capNumber("CAP_NOPE")).toBeUndefined();
  });
  test("Docker's 14 defaults give CapBnd 00000000a80425fb", () => {
    expect(capMask(DEFAULT_CAPABILITIES)).toBe(0xa80425fbn);
    expect(capMask(DEFAULT_CAPABILITIES).toString(16).padStart(16, "0")).toBe("00000000a80425fb");
  });
  test("mask round trip", () => {
    expect(capsFromMask(capMask(DEFAULT_CAPABILITIES)).sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(capMask(ALL)).toBe((1n << 41n) - 1n);
    expect(capsFromMask(0x1fffeffffffn)).not.toContain("CAP_SYS_RESOURCE");
  });
  test("CapBnd of /proc/self/status is parsed", () => {
    expect(currentBoundingCaps("Name:\tx\nCapBnd:\t000001fffeffffff\n")).toEqual(ALL.filter((c) => c !== "CAP_SYS_RESOURCE"));
    expect(currentBoundingCaps().length).toBeGreaterThan(10);
  });
});

describe("Docker's --cap-add/--cap-drop", () => {
  test("normalize: case-insensitive, CAP_ prefix optional, ALL kept", () => {
    expect(normalizeCapabilities(["net_admin", "CAP_SYS_TIME", "Sys_Ptrace", "all"])).toEqual([
      "CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_SYS_PTRACE", "ALL",
    ]);
  });
  test("unknown capability has Docker's message", () => {
    expect(() => normalizeCapabilities(["foo"])).toThrow('unknown capability: "CAP_FOO"');
    try {
      normalizeCapabilities(["bogus"]);
    } catch (e) {
      expect(e).toBeInstanceOf(CapabilityError);
      expect((e as CapabilityError).exitCode).toBe(125);
    }
  });
  test("capability outside this environment", () => {
    const avail = ALL.filter((c) => c !== "CAP_SYS_RESOURCE");
    expect(() => normalizeCapabilities(["sys_resource"], avail)).toThrow(
      'capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"',
    );
  });
  test("defaults untouched without flags", () => {
    expect(tweakCapabilities(DEFAULT_CAPABILITIES, [], [], false, ALL)).toEqual(DEFAULT_CAPABILITIES);
  });
  test("drop then add", () => {
    const caps = tweakCapabilities(DEFAULT_CAPABILITIES, ["NET_ADMIN"], ["chown", "CAP_KILL"], false, ALL);
    expect(caps).not.toContain("CAP_CHOWN");
    expect(caps).not.toContain("CAP_KILL");
    expect(caps.at(-1)).toBe("CAP_NET_ADMIN");
    expect(caps.length).toBe(13);
  });
  test("--cap-drop ALL keeps only the adds", () => {
    expect(tweakCapabilities(DEFAULT_CAPABILITIES, ["chown"], ["ALL"], false, ALL)).toEqual(["CAP_CHOWN"]);
  });
  test("--cap-add ALL gives everything available minus drops", () => {
    const caps = tweakCapabilities(DEFAULT_CAPABILITIES, ["all"], ["sys_admin"], false, ALL);
    expect(caps.length).toBe(40);
    expect(caps).not.toContain("CAP_SYS_ADMIN");
  });
  test("--privileged gives everything available", () => {
    const avail = ALL.filter((c) => c !== "CAP_SYS_RESOURCE");
    expect(tweakCapabilities(DEFAULT_CAPABILITIES, [], ["chown"], true, avail)).toEqual(avail);
  });
  test("duplicates removed", () => {
    expect(tweakCapabilities(DEFAULT_CAPABILITIES, ["chown"], [], false, ALL).filter((c) => c === "CAP_CHOWN").length).toBe(1);
  });
});

describe("capabilitySpec", () => {
  test("root: bounding = permitted = effective, no inheritable/ambient", () => {
    const s = capabilitySpec(DEFAULT_CAPABILITIES, [], [], false, { available: ALL });
    expect(s.bounding).toEqual(DEFAULT_CAPABILITIES);
    expect(s.effective).toEqual(DEFAULT_CAPABILITIES);
    expect(s.permitted).toEqual(DEFAULT_CAPABILITIES);
    expect(s.inheritable).toEqual([]);
    expect(s.ambient).toEqual([]);
    expect(capabilityMasks(s).bounding).toBe(0xa80425fbn);
  });
  test("non-root user: bounding only", () => {
    const s = capabilitySpec(DEFAULT_CAPABILITIES, ["net_admin"], [], false, { uid: 1000, available: ALL });
    expect(s.bounding).toContain("CAP_NET_ADMIN");
    expect(s.effective).toEqual([]);
    expect(s.permitted).toEqual([]);
  });
  test("unknown names in a mask throw", () => {
    expect(() => capMask(["CAP_NOPE"])).toThrow(CapabilityError);
  });
});
