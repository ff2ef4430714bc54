/**
 * The containers harness (rm -f of every container, cgroup and process checks) on a temp root named
 * "bunker-test-…", plus helpers shared by the commit/diff/export and cp tests.
 */
import { existsSync, mkdtempSync, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { importBusybox } from "../helpers/fixture.ts";
import { Harness } from "./containers-harness.ts";

export { isRoot } from "./containers-harness.ts";

export class TestHarness extends Harness {
  constructor(private readonly tag: string) {
    super();
  }

  override async setup(): Promise<void> {
    this.base = mkdtempSync(`/tmp/bunker-test-${this.tag}-`);
    this.root = join(this.base, "root");
    this.run = join(this.base, "run");
    await importBusybox({ root: this.root, run: this.run, dir: this.base, cleanup: () => {} }, "busybox:latest", ['CMD ["sh"]', "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
  }

  /** the base teardown, then the cgroup parent again: a container's cgroup may go a moment after rm returns */
  override async teardown(): Promise<void> {
    await super.teardown();
    for (let i = 0; i < 40; i++) {
      const left = readdirSync("/sys/fs/cgroup").map((c) => join("/sys/fs/cgroup", c, this.cgParent)).filter((d) => existsSync(d));
      if (left.length === 0) return;
      for (const d of left) {
        try {
          rmdirSync(d);
        } catch {}
      }
      await Bun.sleep(50);
    }
  }

  /** runs the CLI with raw stdin bytes and returns stdout as bytes */
  async raw(args: string[], stdin?: Uint8Array): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
    const proc = Bun.spawn(this.argv(args), { stdin: stdin ?? "ignore", stdout: "pipe", stderr: "pipe", env: this.env() });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).bytes(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  }

  /** a running container (sleeping) that has made `script`'s changes */
  async changed(name: string, script: string, image = "busybox"): Promise<string> {
    const id = await this.ok(["run", "-d", "--name", name, image, "sh", "-c", `${script}; echo READY; exec sleep 1000`]);
    for (let i = 0; i < 400; i++) {
      if ((await this.bunker(["logs", name])).stdout.includes("READY")) return id;
      await Bun.sleep(25);
    }
    throw new Error(`container ${name} did not get ready`);
  }
}

/** names in a tar (via GNU tar) */
export function tarNames(tar: Uint8Array): string[] {
  const p = Bun.spawnSync(["tar", "-t"], { stdin: tar });
  if (p.exitCode !== 0) throw new Error(`tar -t: ${p.stderr.toString()}`);
  return p.stdout.toString().split("\n").filter(Boolean);
}

/** `tar -tvn` lines of a tar */
export function tarList(tar: Uint8Array): string[] {
  const p = Bun.spawnSync(["tar", "-tvn"], { stdin: tar });
  if (p.exitCode !== 0) throw new Error(`tar -tvn: ${p.stderr.toString()}`);
  return p.stdout.toString().split("\n").filter(Boolean);
}

/** one member's content */
export function tarFile(tar: Uint8Array, name: string): string {
  const p = Bun.spawnSync(["tar", "-xO", name], { stdin: tar });
  if (p.exitCode !== 0) throw new Error(`tar -xO ${name}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}
