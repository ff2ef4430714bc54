/**
 * run/create's --pull policies (resolveImageForRun): "missing" says "Unable to find image" and pulls an
 * absent image, "always" pulls first without that line, "never" fails with the daemon's "No such image"
 * (125) and never pulls. The image store is replaced by an in-memory set.
 */
import { beforeEach, describe, expect, mock, test } from "bun:test";

const present = new Set<string>();
mock.module("../../src/engine/images/run-image.ts", () => ({
  imageForRun: async (ref: string) => (present.has(ref) ? { id: `sha256:${ref}`, config: {}, lower: [] } : null),
}));
const { resolveImageForRun } = await import("../../src/engine/containers/image-source.ts");

function hooks(policy?: "always" | "missing" | "never") {
  const calls: string[] = [];
  return {
    calls,
    hooks: {
      policy,
      note: (m: string) => void calls.push(`note ${m}`),
      pull: async (ref: string) => {
        calls.push(`pull ${ref}`);
        present.add(ref);
      },
    },
  };
}

describe("--pull policies", () => {
  beforeEach(() => present.clear());

  test("missing (the default): an absent image is announced and pulled, a present one is not", async () => {
    const a = hooks();
    expect((await resolveImageForRun("x", a.hooks)).id).toBe("sha256:x");
    expect(a.calls).toEqual(["note Unable to find image 'x:latest' locally", "pull x"]);
    const b = hooks("missing");
    await resolveImageForRun("x", b.hooks);
    expect(b.calls).toEqual([]);
  });

  test("always: pulls first, even when present, with no 'Unable to find' line", async () => {
    present.add("x");
    const a = hooks("always");
    expect((await resolveImageForRun("x", a.hooks)).id).toBe("sha256:x");
    expect(a.calls).toEqual(["pull x"]);
  });

  test("never: a present image is used; an absent one is the daemon's No such image (125), no pull", async () => {
    const a = hooks("never");
    const err = await resolveImageForRun("x", a.hooks).catch((e) => e);
    expect(err.message).toBe("Error response from daemon: No such image: x:latest");
    expect(err.exitCode).toBe(125);
    expect(a.calls).toEqual([]);
    present.add("x");
    expect((await resolveImageForRun("x", a.hooks)).id).toBe("sha256:x");
  });

  test("a failed pull is a daemon error (125)", async () => {
    const err = await resolveImageForRun("x", {
      policy: "always",
      pull: async () => {
        throw new Error("manifest unknown");
      },
    }).catch((e) => e);
    expect(err.message).toBe("Error response from daemon: manifest unknown");
    expect(err.exitCode).toBe(125);
  });
});
