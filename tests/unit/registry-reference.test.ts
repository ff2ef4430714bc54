import { describe, expect, test } from "bun:test";
import { familiarName, formatReference, localName, parseReference, withDefaultTag } from "../../src/image/reference.ts";

const D = "sha256:" + "a".repeat(64);

describe("reference normalization (Docker's rules)", () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ["nginx", "docker.io/library/nginx", undefined, undefined],
    ["nginx:1.27", "docker.io/library/nginx", "1.27", undefined],
    ["user/app", "docker.io/user/app", undefined, undefined],
    ["docker.io/nginx", "docker.io/library/nginx", undefined, undefined],
    ["index.docker.io/library/nginx:x", "docker.io/library/nginx", "x", undefined],
    ["localhost/app", "localhost/app", undefined, undefined],
    ["localhost:5000/a/b/c:v2", "localhost:5000/a/b/c", "v2", undefined],
    ["127.0.0.1:5000/x@" + D, "127.0.0.1:5000/x", undefined, D],
    ["ghcr.io/o/r:t@" + D, "ghcr.io/o/r", "t", D],
    ["[::1]:5000/app:v1", "[::1]:5000/app", "v1", undefined],
    ["a__b/c-d_e.f---g", "docker.io/a__b/c-d_e.f---g", undefined, undefined],
  ];
  for (const [input, name, tag, digest] of cases) {
    test(input, () => {
      const r = parseReference(input);
      expect(`${r.domain}/${r.path}`).toBe(name);
      expect(r.tag).toBe(tag);
      expect(r.digest).toBe(digest);
    });
  }

  test("errors use Docker's texts", () => {
    expect(() => parseReference("")).toThrow("invalid reference format");
    expect(() => parseReference("Upper")).toThrow("invalid reference format: repository name (library/Upper) must be lowercase");
    expect(() => parseReference("a".repeat(64))).toThrow("cannot specify 64-byte hexadecimal strings");
    expect(() => parseReference("x:")).toThrow("invalid reference format");
    expect(() => parseReference("x::y")).toThrow("invalid reference format");
    expect(() => parseReference("-x")).toThrow("invalid reference format");
    expect(() => parseReference("x@sha256:abc")).toThrow("invalid reference format");
    expect(() => parseReference("x:" + "t".repeat(129))).toThrow("invalid reference format");
    expect(() => parseReference("a/" + "b".repeat(260))).toThrow("must not be more than 255 characters");
    expect(() => parseReference("example.com/UP/x")).toThrow("invalid reference format");
  });

  test("digests are checked like go-digest, and no message repeats its prefix", () => {
    const msg = (s: string) => {
      try {
        parseReference(s);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    };
    expect(msg("x@sha256:" + "a".repeat(40))).toBe("invalid checksum digest length");
    expect(msg("x@sha256:" + "A".repeat(64))).toBe("invalid checksum digest format");
    expect(msg("x@md5:" + "a".repeat(32))).toBe("unsupported digest algorithm");
    expect(msg("")).toBe("invalid reference format");
    expect(msg("x::y")).toBe("invalid reference format");
    expect(msg("example.com/UP/x")).toBe("invalid reference format: repository name (UP/x) must be lowercase");
    expect(parseReference("x@sha512:" + "b".repeat(128)).digest).toBe("sha512:" + "b".repeat(128));
    expect(parseReference("Host/app").domain).toBe("Host");
  });

  test("familiar and local names", () => {
    const r = withDefaultTag(parseReference("nginx"));
    expect(r.tag).toBe("latest");
    expect(familiarName(r)).toBe("nginx");
    expect(formatReference(r, true)).toBe("nginx:latest");
    expect(localName(r)).toBe("docker.io/library/nginx:latest");
    expect(familiarName(parseReference("user/app"))).toBe("user/app");
    expect(familiarName(parseReference("localhost:5000/app"))).toBe("localhost:5000/app");
    // Docker keeps the prefix of a nested official path (familiarizeName)
    expect(familiarName(parseReference("library/a/b"))).toBe("library/a/b");
    const d = withDefaultTag(parseReference("x@" + D));
    expect(d.tag).toBeUndefined();
    expect(localName(d)).toBe(`docker.io/library/x@${D}`);
  });
});
