import { describe, expect, test } from "bun:test";
import { familiar, familiarInput, globMatch, normalizeName, parseReference, ReferenceError, referenceMatches } from "../../src/image/reference.ts";

const D = "sha256:" + "a".repeat(64);

describe("parseReference", () => {
  const cases: Array<[string, ReturnType<typeof parseReference>]> = [
    ["busybox", { domain: "docker.io", path: "library/busybox" }],
    ["busybox:1.36", { domain: "docker.io", path: "library/busybox", tag: "1.36" }],
    ["docker.io/library/busybox:latest", { domain: "docker.io", path: "library/busybox", tag: "latest" }],
    ["index.docker.io/library/busybox", { domain: "docker.io", path: "library/busybox" }],
    ["user/app", { domain: "docker.io", path: "user/app" }],
    ["localhost/app:1", { domain: "localhost", path: "app", tag: "1" }],
    ["localhost:5000/a/b/c", { domain: "localhost:5000", path: "a/b/c" }],
    ["127.0.0.1:5000/app@" + D, { domain: "127.0.0.1:5000", path: "app", digest: D }],
    ["ghcr.io/o/r:v1@" + D, { domain: "ghcr.io", path: "o/r", tag: "v1", digest: D }],
    ["[::1]:5000/app", { domain: "[::1]:5000", path: "app" }],
    ["a__b/c-d.e_f", { domain: "docker.io", path: "a__b/c-d.e_f" }],
  ];
  for (const [input, want] of cases) test(input, () => expect(parseReference(input)).toEqual(want));

  const bad: Array<[string, string]> = [
    ["", "invalid reference format"],
    ["Busybox", "repository name (library/Busybox) must be lowercase"],
    ["a".repeat(64), "cannot specify 64-byte hexadecimal strings"],
    ["busybox:", "invalid reference format"],
    ["busybox:-x", "invalid reference format"],
    ["busybox@sha256:abc", "invalid reference format"],
    [`busybox@sha256:${"a".repeat(40)}`, "invalid checksum digest length"],
    ["a//b", "invalid reference format"],
    ["-a", "invalid reference format"],
    ["a:b:c", "invalid reference format"],
    [`x/${"a".repeat(260)}`, "must not be more than 255 characters"],
  ];
  for (const [input, msg] of bad) {
    test(`refuses ${JSON.stringify(input.slice(0, 30))}`, () => {
      expect(() => parseReference(input)).toThrow(ReferenceError);
      expect(() => parseReference(input)).toThrow(msg);
    });
  }
});

describe("familiar and normalized forms", () => {
  test("round trips", () => {
    expect(normalizeName("busybox")).toBe("docker.io/library/busybox:latest");
    expect(normalizeName("user/app:1")).toBe("docker.io/user/app:1");
    expect(normalizeName("ghcr.io/o/r")).toBe("ghcr.io/o/r:latest");
    expect(familiar(parseReference("docker.io/library/busybox:latest"))).toBe("busybox:latest");
    expect(familiar(parseReference("docker.io/library/a/b:1"))).toBe("library/a/b:1");
    expect(familiar(parseReference("localhost:5000/app@" + D))).toBe("localhost:5000/app@" + D);
    expect(familiarInput("nope")).toBe("nope:latest");
    expect(familiarInput("Bad")).toBe("Bad");
  });
});

describe("reference filters", () => {
  test("glob as Go's path.Match", () => {
    expect(globMatch("bus*", "busybox")).toBe(true);
    expect(globMatch("*", "user/app")).toBe(false);
    expect(globMatch("*/*", "user/app")).toBe(true);
    expect(globMatch("b?sybox", "busybox")).toBe(true);
    expect(globMatch("[ab]usybox", "busybox")).toBe(true);
    expect(globMatch("[!b]usybox", "busybox")).toBe(false);
    expect(globMatch("a.b", "axb")).toBe(false);
  });
  test("matches name or name:tag", () => {
    const r = parseReference("busybox:1.36");
    expect(referenceMatches("busybox", r)).toBe(true);
    expect(referenceMatches("busybox:1.*", r)).toBe(true);
    expect(referenceMatches("busybox:latest", r)).toBe(false);
    expect(referenceMatches("library/busybox", r)).toBe(false);
  });
});
