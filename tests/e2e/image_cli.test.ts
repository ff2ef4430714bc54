/**
 * The image commands end to end on the busybox fixture: import -> images -> inspect -> history -> tag ->
 * rmi, with Docker's output shapes, error wording and exit codes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { bunker, busyboxTarball, importBusybox, makeTempRoot, type TempRoot } from "../helpers/fixture.ts";

const HEX64 = /^sha256:[a-f0-9]{64}$/;
let t: TempRoot;
let id: string;

const run = (args: string[], stdin?: string | Uint8Array | Blob) => bunker(args, { ...t, ...(stdin !== undefined ? { stdin } : {}) });
const sha256File = async (path: string) => `sha256:${new Bun.CryptoHasher("sha256").update(await Bun.file(path).bytes()).digest("hex")}`;
const inspect = async (ref: string) => {
  const r = await run(["image", "inspect", ref]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout)[0];
};
/** table rows split on Docker's 3+ space column gaps */
const table = (out: string) => out.trimEnd().split("\n").map((l) => l.split(/ {3,}/));

beforeAll(async () => {
  t = makeTempRoot();
  id = await importBusybox(t, "busybox");
});
afterAll(() => t?.cleanup());

describe("import", () => {
  test("prints the image ID like docker import", () => {
    expect(id).toMatch(HEX64);
  });

  test("images shows Docker's table", async () => {
    const r = await run(["images"]);
    expect(r.code).toBe(0);
    const [head, ...rows] = table(r.stdout);
    expect(head).toEqual(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    expect(rows).toHaveLength(1);
    const [repo, tag, shortId, created, size] = rows[0]!;
    expect([repo, tag, shortId]).toEqual(["busybox", "latest", id.slice(7, 19)]);
    expect(created).toMatch(/^(Less than a second|\d+ seconds?|About a minute) ago$/);
    const bytes = (await inspect("busybox")).Size;
    expect(size).toBe(`${(bytes / 1e6).toPrecision(3).replace(/\.?0+$/, "")}MB`);
  });

  test("inspect has Docker's fields and the layer's diff ID", async () => {
    const img = await inspect("busybox:latest");
    expect(Object.keys(img)).toEqual(["Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion", "Author", "Config", "Architecture", "Os", "Size", "GraphDriver", "RootFS", "Metadata"]);
    expect(img.Id).toBe(id);
    expect(img.RepoTags).toEqual(["busybox:latest"]);
    expect(img.RepoDigests).toEqual([]);
    expect(img.Comment).toBe("Imported from -");
    expect(img.Config.Cmd).toEqual(["sh"]);
    expect(img.Config.Env).toBeNull();
    expect(img.Os).toBe("linux");
    expect(img.Architecture).toBe(process.arch === "x64" ? "amd64" : process.arch);
    expect(img.RootFS).toEqual({ Type: "layers", Layers: [await sha256File(busyboxTarball(t.dir).tar)] });
    expect(img.Size).toBeGreaterThanOrEqual(statSync("/bin/busybox").size);
    expect(img.GraphDriver.Name).toBe("overlay2");
    expect(statSync(join(img.GraphDriver.Data.UpperDir, "bin/busybox")).size).toBe(statSync("/bin/busybox").size);
    expect(Date.parse(img.Created)).toBeGreaterThan(Date.now() - 600_000);
    expect(img.Metadata.LastTagTime).not.toBe("0001-01-01T00:00:00Z");
  });

  // compared with a Docker 20.10 engine on the same tarball
  test("Size is Docker's directory.Size of the layer (symlinks count their target's length, hardlinks once)", async () => {
    const img = await inspect("busybox");
    const { lstatSync } = await import("node:fs");
    const seen = new Set<number>();
    let total = 0;
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const st = lstatSync(join(dir, name));
        if (st.isDirectory()) walk(join(dir, name));
        else if (st.size > 0 && !seen.has(st.ino)) (seen.add(st.ino), (total += st.size));
      }
    };
    walk(img.GraphDriver.Data.UpperDir);
    expect(img.Size).toBe(total);
  });

  test("images --format json/{{json .}}: Go's escaping and units.HumanSize for VirtualSize", async () => {
    const { Size } = await inspect("busybox");
    for (const format of ["json", "{{json .}}"]) {
      const line = (await run(["images", "--format", format])).stdout;
      expect(line).toContain('"Digest":"\\u003cnone\\u003e"');
      expect(JSON.parse(line).VirtualSize).toBe(`${(Size / 1e6).toPrecision(4).replace(/\.?0+$/, "")}MB`);
    }
  });

  test("the unpacked tree is the busybox rootfs", async () => {
    const upper = (await inspect("busybox")).GraphDriver.Data.UpperDir;
    expect(readdirSync(join(upper, "bin"))).toContain("sh");
    expect(await Bun.file(join(upper, "etc/passwd")).text()).toContain("nobody:x:65534:65534");
    expect(statSync(join(upper, "tmp")).mode & 0o7777).toBe(0o1777);
  });

  test("inspect --format", async () => {
    const r = await run(["image", "inspect", "-f", "{{.Id}} {{json .RepoTags}} {{.Config.Cmd}}", "busybox"]);
    expect(r.stdout).toBe(`${id} ["busybox:latest"] [sh]\n`);
  });

  test("history", async () => {
    const r = await run(["history", "busybox"]);
    expect(r.code).toBe(0);
    const [head, row] = table(r.stdout);
    expect(head).toEqual(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]);
    expect(row![0]).toBe(id.slice(7, 19));
    expect(row![row!.length - 1]).toBe("Imported from -");
    expect((await run(["history", "-q", "busybox"])).stdout).toBe(`${id.slice(7, 19)}\n`);
    expect((await run(["history", "-q", "--no-trunc", "busybox"])).stdout).toBe(`${id}\n`);
    const raw = await run(["history", "-H=false", "--format", "{{.Size}} {{.CreatedSince}}", "busybox"]);
    expect(raw.stdout).toMatch(/^\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    expect(table((await run(["history", "-H=false", "busybox"])).stdout)[0]).toEqual(["IMAGE", "CREATED AT", "CREATED BY", "SIZE", "COMMENT"]);
  });

  test("from stdin as tar.gz: the blob is kept as given, the diff ID is the same", async () => {
    const { tgz, tar } = busyboxTarball(t.dir);
    const r = await run(["import", "-m", "from stdin", "-", "gz:1"], Bun.file(tgz));
    expect(r.code).toBe(0);
    const img = await inspect("gz:1");
    expect(img.Id).toBe(r.stdout.trim());
    expect(img.Comment).toBe("from stdin");
    expect(img.RootFS.Layers).toEqual([await sha256File(tar)]);
    const blobs = readdirSync(join(t.root, "content/blobs/sha256"));
    expect(blobs).toContain((await sha256File(tgz)).slice(7));
    expect((await run(["rmi", "gz:1"])).code).toBe(0);
  });

  test("-c changes are visible in inspect", async () => {
    const changes = ['ENV A=1 B="two words"', "WORKDIR /srv", "EXPOSE 8080", "USER nobody", "LABEL team=core", 'ENTRYPOINT ["/bin/sh", "-c"]', 'CMD ["echo hi"]', "VOLUME /data", "STOPSIGNAL SIGINT"];
    const r = await run(["import", ...changes.flatMap((c) => ["-c", c]), busyboxTarball(t.dir).tar, "changed"]);
    expect(r.code).toBe(0);
    const c = (await inspect("changed")).Config;
    expect(c.Env).toEqual(["A=1", "B=two words"]);
    expect(c.WorkingDir).toBe("/srv");
    expect(c.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(c.User).toBe("nobody");
    expect(c.Labels).toEqual({ team: "core" });
    expect(c.Entrypoint).toEqual(["/bin/sh", "-c"]);
    expect(c.Cmd).toEqual(["echo hi"]);
    expect(c.Volumes).toEqual({ "/data": {} });
    expect(c.StopSignal).toBe("SIGINT");
    const f = await run(["images", "--filter", "label=team=core", "--format", "{{.Repository}}"]);
    expect(f.stdout).toBe("changed\n");
    expect((await run(["rmi", "changed"])).code).toBe(0);
  });

  test("an invalid change is refused before anything is stored", async () => {
    const before = readdirSync(join(t.root, "content/blobs/sha256")).length;
    const r = await run(["import", "-c", "RUN rm -rf /", busyboxTarball(t.dir).tar, "bad"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("Error response from daemon: run is not a valid change command");
    expect(readdirSync(join(t.root, "content/blobs/sha256")).length).toBe(before);
  });
});

describe("tag and rmi", () => {
  test("tag adds a row with the same ID; rmi of one tag only untags", async () => {
    expect((await run(["tag", "busybox", "my/app:v1"])).code).toBe(0);
    const r = await run(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    expect(r.stdout.trim().split("\n").sort()).toEqual([`busybox:latest ${id.slice(7, 19)}`, `my/app:v1 ${id.slice(7, 19)}`]);
    expect((await run(["images", "-q"])).stdout).toBe(`${id.slice(7, 19)}\n`.repeat(2));
    expect((await run(["images", "busy*"])).stdout).toContain("busybox");
    expect((await run(["images", "--filter", "reference=my/*"])).stdout).not.toContain("busybox");
    const rm = await run(["rmi", "my/app:v1"]);
    expect(rm).toEqual({ code: 0, stdout: "Untagged: my/app:v1\n", stderr: "" });
  });

  test("rmi by ID refuses an image in several repositories unless forced", async () => {
    await run(["tag", "busybox", "other:1"]);
    const r = await run(["rmi", id.slice(7, 19)]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
    expect((await run(["rmi", "other:1"])).stdout).toBe("Untagged: other:1\n");
  });

  test("rmi of the last name deletes the image; the layer goes with the last image using it", async () => {
    await run(["import", busyboxTarball(t.dir).tar, "copy"]);
    const copy = await inspect("copy");
    expect(copy.Id).not.toBe(id); // same layer, different config (no CMD)
    expect(readdirSync(join(t.root, "snapshots")).filter((n) => /^\d+$/.test(n))).toHaveLength(1);
    const first = await run(["rmi", "busybox"]);
    expect(first.stdout).toBe(`Untagged: busybox:latest\nDeleted: ${id}\n`);
    const last = await run(["rmi", "copy"]);
    expect(last.stdout).toBe(`Untagged: copy:latest\nDeleted: ${copy.Id}\nDeleted: ${copy.RootFS.Layers[0]}\n`);
    expect(readdirSync(join(t.root, "snapshots")).filter((n) => /^\d+$/.test(n))).toEqual([]);
    expect(readdirSync(join(t.root, "content/blobs/sha256"))).toEqual([]);
    expect((await run(["images", "-q"])).stdout).toBe("");
  });
});

describe("errors like Docker's", () => {
  test("rmi of a missing image", async () => {
    expect(await run(["rmi", "nope"])).toEqual({ code: 1, stdout: "", stderr: "Error response from daemon: No such image: nope:latest\n" });
    const forced = await run(["rmi", "-f", "nope"]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe("Error response from daemon: No such image: nope:latest\n");
  });

  test("inspect of a missing image prints [] and the error", async () => {
    expect(await run(["image", "inspect", "nope"])).toEqual({ code: 1, stdout: "[]\n", stderr: "Error: No such image: nope\n" });
  });

  test("history, tag and import", async () => {
    expect(await run(["history", "nope:1"])).toEqual({ code: 1, stdout: "", stderr: "Error response from daemon: No such image: nope:1\n" });
    expect((await run(["tag", "nope", "x"])).stderr).toBe("Error response from daemon: No such image: nope:latest\n");
    const bad = await run(["tag", "nope", "Bad"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Error parsing reference: "Bad" is not a valid repository/tag');
    expect(await run(["import", "/does/not/exist.tar"])).toMatchObject({ code: 1, stderr: "open /does/not/exist.tar: no such file or directory\n" });
    expect((await run(["import"])).stderr).toContain("bunker: 'bunker import' requires at least 1 argument\n\nUsage:  bunker import [OPTIONS]");
    // help into a pipe is plain text (it gets grepped)
    const help = await run(["images", "--help"]);
    expect(help.stdout).toContain("List images");
    expect(help.stdout).not.toContain("\x1b[");
    // docker 28: "requires 1 argument" (no "exactly"), a usage line, "Run ... for more information"
    expect((await run(["history"])).stderr).toBe("bunker: 'bunker history' requires 1 argument\n\nUsage:  bunker history [OPTIONS] IMAGE\n\nRun 'bunker history --help' for more information\n");
    expect((await run(["images", "--filter", "color=red"])).stderr).toBe("Error response from daemon: invalid filter 'color'\n");
  });

  test("a file that is not a tar is refused and leaves nothing behind", async () => {
    const r = await run(["import", "-", "junk"], "this is not a tar archive".repeat(100));
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toBe("");
    expect((await run(["images", "-q"])).stdout).toBe("");
    expect(readdirSync(join(t.root, "content/ingest"))).toEqual([]);
    expect(readdirSync(join(t.root, "snapshots")).filter((n) => n.startsWith("tmp-"))).toEqual([]);
  });
});

describe("dangling images and prune", () => {
  test("import without a name lists as <none> and prune removes it", async () => {
    const r = await run(["import", busyboxTarball(t.dir).tar]);
    const dangling = r.stdout.trim();
    const rows = table((await run(["images"])).stdout);
    expect(rows[1]!.slice(0, 3)).toEqual(["<none>", "<none>", dangling.slice(7, 19)]);
    expect((await run(["images", "-f", "dangling=true", "-q"])).stdout).toBe(`${dangling.slice(7, 19)}\n`);
    const p = await run(["image", "prune", "-f"]);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(new RegExp(`^Deleted Images:\ndeleted: ${dangling}\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: [0-9.]+MB\n$`));
    expect((await run(["images", "-q"])).stdout).toBe("");
  });

  test("re-importing a name leaves the old image dangling; prune -a removes everything unused", async () => {
    await run(["import", busyboxTarball(t.dir).tar, "again"]);
    await run(["import", "-c", "CMD [\"sh\"]", busyboxTarball(t.dir).tar, "again"]);
    const rows = table((await run(["images"])).stdout).slice(1);
    expect(rows.map((r) => `${r[0]}:${r[1]}`).sort()).toEqual(["<none>:<none>", "again:latest"]);
    const no = await run(["image", "prune", "-a"], "n\n");
    expect(no.stdout).toContain("WARNING! This will remove all images without at least one container associated to them.");
    expect(no.stdout).toContain("Total reclaimed space: 0B");
    const p = await run(["image", "prune", "-a", "-f"]);
    expect(p.stdout).toContain("untagged: again:latest");
    expect((await run(["images", "-q"])).stdout).toBe("");
  });
});

describe("images used by containers", () => {
  test("rmi refuses, -f untags and keeps the image dangling, prune -a skips it", async () => {
    const own = makeTempRoot();
    try {
      const imageId = await importBusybox(own, "busybox");
      const c = await bunker(["create", "busybox", "true"], own);
      expect(c.code).toBe(0);
      const ctr = c.stdout.trim();
      const r = await bunker(["rmi", "busybox"], own);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`Error response from daemon: conflict: unable to remove repository reference "busybox" (must force) - container ${ctr.slice(0, 12)} is using its referenced image ${imageId.slice(7, 19)}\n`);
      expect((await bunker(["rmi", imageId.slice(7, 19)], own)).stderr).toContain("(must be forced) - image is being used by stopped container");
      expect((await bunker(["image", "prune", "-a", "-f"], own)).stdout).toBe("Total reclaimed space: 0B\n");
      expect((await bunker(["rmi", "-f", "busybox"], own)).stdout).toBe("Untagged: busybox:latest\n");
      expect((await bunker(["images", "-q", "-f", "dangling=true"], own)).stdout).toBe(`${imageId.slice(7, 19)}\n`);
      expect((await bunker(["rm", ctr], own)).code).toBe(0);
      expect((await bunker(["rmi", imageId.slice(7, 19)], own)).stdout).toStartWith(`Deleted: ${imageId}\n`);
    } finally {
      own.cleanup();
    }
  });
});
