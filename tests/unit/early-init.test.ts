/** Which command lines get an init spawned before the CLI has parsed its flags (src/cli/_early-init.ts). */
import { describe, expect, test } from "bun:test";
import { isPlainAttachedRun } from "../../src/cli/_early-init.ts";

describe("early init: plain attached run only", () => {
  test("plain runs, behind global flags and as `container run`", () => {
    for (const argv of [
      ["run", "--rm", "busybox", "true"],
      ["run", "--name", "x", "-e", "A=1", "-v", "/a:/b", "busybox", "echo", "hi"],
      ["--root", "/r", "--run-root=/x", "-D", "run", "img"],
      ["container", "run", "img"],
    ]) expect(isPlainAttachedRun(argv)).toBe(true);
  });

  test("anything that may change init's stdio or detach is left to the parsed flags", () => {
    for (const argv of [
      ["run", "-d", "img"],
      ["run", "-it", "img", "sh"],
      ["run", "-dit", "img"],
      ["run", "--detach=true", "img"],
      ["run", "--interactive", "img"],
      ["run", "--tty", "img"],
      ["run", "img", "ls", "-d", "/"], // conservative: a -d after the image also counts
      ["create", "img"],
      ["ps"],
      ["--root", "/r", "images"],
    ]) expect(isPlainAttachedRun(argv)).toBe(false);
  });
});
