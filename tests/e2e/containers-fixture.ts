/**
 * The busybox image for the container tests: the shared fixture's rootfs (tests/helpers/fixture.ts)
 * plus a non-root user and supplementary groups in /etc/passwd and /etc/group (for -u, --group-add and
 * exec -u), imported through the CLI like any user's tarball.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBusyboxRootfs, bunker, tarDirectoryWithGnuTar } from "../helpers/fixture.ts";

const PASSWD = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP = "root:x:0:\nwheel:x:10:root\nstaff:x:50:user\nuser:x:1000:\nnogroup:x:65534:\n";

export async function importBusybox(root: string, run: string, name = "busybox:latest"): Promise<string> {
  const tmp = mkdtempSync("/tmp/bunker-fixture-");
  try {
    const fs = buildBusyboxRootfs(join(tmp, "rootfs"));
    writeFileSync(join(fs, "etc/passwd"), PASSWD);
    writeFileSync(join(fs, "etc/group"), GROUP);
    const tar = tarDirectoryWithGnuTar(fs, join(tmp, "busybox.tar"));
    const r = await bunker(["import", "-c", 'CMD ["sh"]', tar, name], { root, run });
    if (r.code !== 0) throw new Error(`bunker import failed (${r.code}): ${r.stderr}`);
    return r.stdout.trim();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
