// Test doubles for src/runtime/init: an in-memory InitFs that records what it is asked, and a parent link.
import type { FileKind, InitContext, InitFs } from "../../src/runtime/init/context.ts";
import type { InitMessage } from "../../src/runtime/channel.ts";
import { RecordingSys } from "../../src/sys/recording.ts";

export class FakeFs implements InitFs {
  readonly ops: string[] = [];
  /** path -> kind; executables are the paths in `exec` */
  readonly kinds = new Map<string, FileKind>();
  readonly exec = new Set<string>();
  readonly files = new Map<string, string>([["/proc/self/cgroup", "4:memory:/c1\n3:cpu,cpuacct:/c1\n1:name=systemd:/c1\n0::/c1\n"]]);

  kind(path: string): FileKind | null {
    return this.kinds.get(path) ?? null;
  }
  mkdir(path: string): void {
    this.ops.push(`mkdir ${path}`);
    this.kinds.set(path, "dir");
  }
  touch(path: string): void {
    this.ops.push(`touch ${path}`);
    this.kinds.set(path, "file");
  }
  symlink(target: string, path: string): void {
    this.ops.push(`symlink ${path} -> ${target}`);
  }
  readFile(path: string): string {
    const f = this.files.get(path);
    if (f === undefined) throw new Error(`ENOENT ${path}`);
    return f;
  }
  writeFile(path: string, data: string): void {
    this.ops.push(`write ${path} ${data}`);
  }
  executable(path: string): boolean {
    return this.exec.has(path);
  }
}

export class FakeLink {
  readonly sent: InitMessage[] = [];
  go = true;
  send(m: InitMessage): void {
    this.sent.push(m);
  }
  waitGo(): boolean {
    return this.go;
  }
}

export function fakeContext(): InitContext & { sys: RecordingSys; fs: FakeFs; link: FakeLink } {
  const fs = new FakeFs();
  // a busybox-like image: /bin/sh and /bin/true exist and are executable
  for (const p of ["/bin/sh", "/bin/true"]) {
    fs.kinds.set(p, "file");
    fs.exec.add(p);
  }
  fs.kinds.set("/bin", "dir");
  return { sys: new RecordingSys(), fs, link: new FakeLink() };
}
