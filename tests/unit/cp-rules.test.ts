/** Docker's cp path rules (docker cp --help; moby pkg/archive/copy.go), as a pure function. */
import { describe, expect, test } from "bun:test";
import { baseName, copiesContents, parentDir, planCopy, splitCpArg } from "../../src/engine/cp/rules.ts";

const missing = { exists: false, isDir: false };
const file = { exists: true, isDir: false };
const dir = { exists: true, isDir: true };

describe("cp rules", () => {
  test("a file source", () => {
    expect(planCopy("/a/f", false, "/d/new", missing)).toEqual({ dir: "/d", name: "new" });
    expect(() => planCopy("/a/f", false, "/d/new/", missing)).toThrow("no such directory");
    expect(planCopy("/a/f", false, "/d/old", file)).toEqual({ dir: "/d", name: "old" });
    expect(planCopy("/a/f", false, "/d", dir)).toEqual({ dir: "/d", name: "f" });
    expect(planCopy("/a/f", false, "/d/", dir)).toEqual({ dir: "/d/", name: "f" });
    expect(() => planCopy("/a/f/", false, "/d", dir)).toThrow("not a directory");
    expect(() => planCopy("/a/f", false, "/d/old/", file)).toThrow("not a directory");
  });

  test("a directory source", () => {
    expect(planCopy("/a/src", true, "/d/new", missing)).toEqual({ dir: "/d", name: "new" });
    expect(planCopy("/a/src", true, "/d/new/", missing)).toEqual({ dir: "/d", name: "new" });
    expect(() => planCopy("/a/src", true, "/d/old", file)).toThrow("cannot copy directory");
    // onto an existing directory: inside it, or its contents with "/."
    expect(planCopy("/a/src", true, "/d", dir)).toEqual({ dir: "/d", name: "src" });
    expect(planCopy("/a/src/", true, "/d", dir)).toEqual({ dir: "/d", name: "src" });
    expect(planCopy("/a/src/.", true, "/d", dir)).toEqual({ dir: "/d", name: "" });
    expect(planCopy("/a/src/.", true, "/d/new", missing)).toEqual({ dir: "/d", name: "new" });
    expect(planCopy("/", true, "/d", dir)).toEqual({ dir: "/d", name: "" });
  });

  test("names", () => {
    expect(baseName("/a/b/")).toBe("b");
    expect(baseName("/a/b/.")).toBe("b");
    expect(baseName("/")).toBe("/");
    expect(parentDir("/a/b/")).toBe("/a");
    expect(parentDir("b")).toBe(".");
    expect(copiesContents("/a/.")).toBe(true);
    expect(copiesContents("/a/")).toBe(false);
  });

  test("container:path arguments", () => {
    expect(splitCpArg("c1:/etc/passwd")).toEqual({ container: "c1", path: "/etc/passwd" });
    expect(splitCpArg("c1:")).toEqual({ container: "c1", path: "" });
    expect(splitCpArg("/abs/with:colon")).toEqual({ path: "/abs/with:colon" });
    expect(splitCpArg("./rel:x")).toEqual({ path: "./rel:x" });
    expect(splitCpArg("plain")).toEqual({ path: "plain" });
    expect(splitCpArg("-")).toEqual({ path: "-" });
  });
});
