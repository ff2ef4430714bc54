/**
 * A fake cgroupfs for unit tests (youki's set_fixture pattern): a fresh tempdir per test plays the
 * cgroup root, `put` pre-makes the kernel's control files, `read` reads back what a manager wrote.
 * `root` is a live binding: it names the current test's dir.
 */
import { afterEach, beforeEach } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export let root = "";

/** call at the top level of a test file: one fresh root per test, removed after it */
export function useCgroupFixture(): void {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "bunker-cg-"));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });
}

export function put(files: Record<string, string>): void {
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), v);
  }
}

export const read = (p: string): string => readFileSync(join(root, p), "utf8");
