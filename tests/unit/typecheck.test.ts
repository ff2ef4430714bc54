import { expect, test } from "bun:test";
import { join } from "node:path";

// The whole tree must pass `tsc --noEmit` in strict mode; a type error is a test failure, not a warning.
test("tsc --noEmit passes on src, tests and scripts", () => {
  const root = join(import.meta.dir, "..", "..");
  const r = Bun.spawnSync([join(root, "node_modules", ".bin", "tsc"), "--noEmit", "-p", root], { cwd: root });
  const out = r.stdout.toString() + r.stderr.toString();
  expect(out).toBe("");
  expect(r.exitCode).toBe(0);
}, 120_000);
