/**
 * The compiled default profile installed for real, in a child `bun` (seccomp filters cannot be removed,
 * so never in the test process): with no_new_privs no root is needed. A control child without the
 * filter shows that the EPERM comes from seccomp, not from missing privileges.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const repo = join(import.meta.dir, "../..");
const canRun = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64");

const child = (filter: boolean) => `
import { linuxSys } from ${JSON.stringify(join(repo, "src/sys/index.ts"))};
import { decodeSeccompProgram, defaultSeccompProgram } from ${JSON.stringify(join(repo, "src/runtime/seccomp/index.ts"))};
import { DEFAULT_CAPABILITIES } from ${JSON.stringify(join(repo, "src/runtime/spec.ts"))};
const sys = linuxSys();
const prog = decodeSeccompProgram(defaultSeccompProgram(DEFAULT_CAPABILITIES));
const out = {};
const errno = (f) => { try { const r = f(); return typeof r === "number" && r >= 0 ? (sys.close(r), 0) : 0; } catch (e) { return e.errno ?? String(e); } };
if (${filter}) {
  sys.prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1);
  sys.seccompSetFilter(prog, 0);
  out.seccompMode = sys.prctl(21 /* PR_GET_SECCOMP */);
}
out.mount = errno(() => sys.mount("none", "/nonexistent-bunker", "bunker-no-such-fs", 0));
out.vsock = errno(() => sys.socket(40 /* AF_VSOCK */, 1, 0));
out.alg = errno(() => sys.socket(38 /* AF_ALG */, 5, 0));
out.unix = errno(() => sys.socket(1 /* AF_UNIX */, 1, 0));
out.sethostname = ${filter} ? errno(() => sys.sethostname("should-not-change")) : "skipped";
process.stdout.write(JSON.stringify(out));
`;

async function runChild(filter: boolean): Promise<Record<string, unknown>> {
  const p = Bun.spawn([process.execPath, "-e", child(filter)], { stdout: "pipe", stderr: "pipe", cwd: repo });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`child exited ${code}: ${err}`);
  return JSON.parse(out);
}

describe.skipIf(!canRun)("the default profile installed in a real process", () => {
  test("privileged calls get EPERM, ordinary ones work, output still flows", async () => {
    const r = await runChild(true);
    expect(r.seccompMode).toBe(2); // SECCOMP_MODE_FILTER
    expect(r.mount).toBe(1); // EPERM from the filter
    expect(r.vsock).toBe(1);
    expect(r.alg).toBe(1);
    expect(r.unix).toBe(0);
    expect(r.sethostname).toBe(1);
  });
  test("control: without the filter the same mount fails for another reason", async () => {
    const r = await runChild(false);
    expect(r.unix).toBe(0);
    if (process.getuid?.() !== 0) return; // unprivileged, mount is EPERM anyway
    expect([2, 19]).toContain(r.mount as number); // ENOENT / ENODEV: the kernel looked at it
  });
});
