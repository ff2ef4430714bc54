/**
 * commit, diff and export against real containers: the committed image runs and shows the change,
 * whiteouts and opaque directories survive, the layer is a plain tar whose digest is its diff ID (gzip
 * on request), the layer digest is reproducible, a kill -9 mid-commit leaves no image and no debris,
 * -c/-a/-m land in the config and history, an unchanged container commits without a layer (Docker's
 * empty_layer), and export is the merged filesystem.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setPaths } from "../../src/config.ts";
import { ensureSnapshots } from "../../src/image/unpack.ts";
import { ImageStore } from "../../src/image/store.ts";
import { startRegistry } from "../helpers/registry.ts";
import { TestHarness, isRoot, tarFile, tarNames } from "./commit-harness.ts";

const h = new TestHarness("commit");

async function inspectImage(ref: string) {
  return JSON.parse(await h.ok(["image", "inspect", ref]))[0];
}

describe("commit, diff, export", () => {
  beforeAll(() => h.setup());
  afterEach(async () => {
    await h.removeAll();
    expect(h.processes()).toEqual([]);
    expect(h.mounts()).toEqual([]);
  });
  afterAll(() => h.teardown());

  test("commit: the new image is listed and runs with the change, deletions and opaque dirs", async () => {
    await h.changed("base", "mkdir /data && touch /data/a /data/b");
    await h.ok(["commit", "base", "withdata"]);
    await h.changed("c1", "echo hi > /f; rm /etc/group; rm -rf /data; mkdir /data; touch /data/new", "withdata");
    const id = await h.ok(["commit", "c1", "img1:v1"]);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    // the container was paused for the read and runs again
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "c1"])).toBe("running");
    expect(await h.ok(["images"])).toMatch(new RegExp(`img1\\s+v1\\s+${id.slice(7, 19)}`));
    expect(await h.ok(["run", "--rm", "img1:v1", "cat", "/f"])).toBe("hi");
    expect(await h.ok(["run", "--rm", "img1:v1", "sh", "-c", "test -e /etc/group && echo present || echo gone"])).toBe("gone");
    expect(await h.ok(["run", "--rm", "img1:v1", "ls", "/data"])).toBe("new");
    // the runtime's mount points are not part of the change
    expect(await h.ok(["run", "--rm", "img1:v1", "ls", "/etc"])).not.toContain("resolv.conf\nhosts");
    const img = await inspectImage("img1:v1");
    expect(img.RootFS.Layers.length).toBe(3);
    const hist = JSON.parse(`[${(await h.ok(["history", "--no-trunc", "--format", "{{json .}}", "img1:v1"])).split("\n").join(",")}]`);
    expect(hist[0].CreatedBy).toContain("echo hi > /f");
  }, 60_000);

  test("commit: the layer has whiteouts in OCI form and no runtime placeholders", async () => {
    await h.changed("c2", "echo hi > /f; rm /etc/group; rm -rf /usr/bin; mkdir /usr/bin; touch /usr/bin/new");
    await h.ok(["commit", "c2", "img2"]);
    // saved like any other image: the last layer of the archive is ours
    const save = await h.raw(["save", "img2"]);
    expect(save.code).toBe(0);
    const names = tarNames(save.stdout);
    const index = JSON.parse(tarFile(save.stdout, "index.json"));
    const manifest = JSON.parse(tarFile(save.stdout, `blobs/sha256/${index.manifests[0].digest.slice(7)}`));
    const layer = manifest.layers.at(-1).digest.slice(7);
    expect(names).toContain(`blobs/sha256/${layer}`);
    expect(manifest.layers.at(-1).mediaType).toBe("application/vnd.oci.image.layer.v1.tar");
    const blob = Bun.spawnSync(["tar", "-xO", `blobs/sha256/${layer}`], { stdin: save.stdout }).stdout;
    const entries = tarNames(new Uint8Array(blob));
    expect(entries).toEqual(["etc/", "etc/.wh.group", "f", "usr/", "usr/bin/", "usr/bin/.wh..wh..opq", "usr/bin/new"]);
  }, 60_000);

  test("commit: the image pushes to a registry and runs after a pull into another root", async () => {
    const reg = await startRegistry();
    const other = new TestHarness("commit-pull");
    try {
      await h.changed("pu", "echo pushed > /p");
      const ref = `${reg.host}/bunker-test/committed:1`;
      await h.ok(["commit", "pu", ref]);
      await h.ok(["push", ref]);
      await other.setup();
      await other.ok(["pull", ref]);
      expect(await other.ok(["run", "--rm", ref, "cat", "/p"])).toBe("pushed");
    } finally {
      await other.teardown();
      await reg.stop();
    }
  }, 60_000);

  test("commit: the same change gives the same layer digest (two containers, and twice)", async () => {
    await h.changed("r1", "mkdir -p /data/a && echo same > /data/a/x && rm /etc/passwd");
    await Bun.sleep(1100); // a different second: mtimes must not leak into the layer
    await h.changed("r2", "mkdir -p /data/a && echo same > /data/a/x && rm /etc/passwd");
    await h.ok(["commit", "r1", "rep1"]);
    await h.ok(["commit", "r1", "rep1b"]);
    await h.ok(["commit", "r2", "rep2"]);
    const l1 = (await inspectImage("rep1")).RootFS.Layers.at(-1);
    expect((await inspectImage("rep1b")).RootFS.Layers.at(-1)).toBe(l1);
    expect((await inspectImage("rep2")).RootFS.Layers.at(-1)).toBe(l1);
  }, 60_000);

  test("commit: the default layer is a plain tar whose digest is its diff ID; the image runs", async () => {
    await h.changed("pl", "mkdir -p /data && echo plain > /data/f && rm /etc/group");
    await h.ok(["commit", "pl", "plaindef"]);
    const img = await inspectImage("plaindef");
    const diffId = img.RootFS.Layers.at(-1);
    const store = new ImageStore(h.root);
    const rec = (await store.images()).find((i) => i.records.some((r) => r.name.endsWith("plaindef:latest")))!;
    const desc = rec.manifest.layers.at(-1)!;
    expect(desc.mediaType).toBe("application/vnd.oci.image.layer.v1.tar");
    expect(desc.digest).toBe(diffId);
    // the store verified it: the blob on disk hashes to its name, and its size is the manifest's
    const blob = new Uint8Array(await Bun.file(store.content.blobPath(desc.digest)).arrayBuffer());
    expect(`sha256:${new Bun.CryptoHasher("sha256").update(blob).digest("hex")}`).toBe(desc.digest);
    expect(blob.length).toBe(desc.size);
    expect(tarNames(blob)).toEqual(["data/", "data/f", "etc/", "etc/.wh.group"]);
    expect(await h.ok(["run", "--rm", "plaindef", "sh", "-c", "cat /data/f; test -e /etc/group || echo gone"])).toBe("plain\ngone");
  }, 60_000);

  test("commit --compression gzip|zstd|none: same diff ID, a gzip, zstd or plain blob, snapshots that run the same", async () => {
    await h.changed("nb", "mkdir /data && touch /data/a /data/b && ln -s a /data/l");
    await h.ok(["commit", "nb", "nbase"]);
    await h.changed("nc", "echo hi > /f; chown 7:8 /f; chmod 4711 /f; ln /f /hard; rm /etc/group; rm -rf /data; mkdir /data; touch /data/new; mkfifo /fifo", "nbase");
    await h.ok(["commit", "nc", "plain"]);
    await h.ok(["commit", "--compression", "none", "--pause=false", "--snapshot", "eager", "nc", "plain2"]);
    await h.ok(["commit", "--compression", "gzip", "nc", "gz"]);
    await h.ok(["commit", "--compression", "gzip", "--snapshot", "eager", "nc", "gz2"]);
    await h.ok(["commit", "--compression", "zstd", "--snapshot", "eager", "nc", "zst"]);
    await h.ok(["commit", "--compression", "zstd", "nc", "zst2"]);
    const plain = (await inspectImage("plain")).RootFS.Layers;
    for (const other of ["plain2", "gz", "gz2", "zst", "zst2"]) expect((await inspectImage(other)).RootFS.Layers).toEqual(plain);
    const probe = "cat /f; ls /data; test -e /etc/group || echo nogroup; stat -c '%a %u:%g %h' /f; test -p /fifo && echo fifo";
    const want = await h.ok(["run", "--rm", "plain", "sh", "-c", probe]);
    expect(want).toBe("hi\nnew\nnogroup\n4711 7:8 2\nfifo");
    for (const other of ["plain2", "gz", "gz2", "zst"]) expect(await h.ok(["run", "--rm", other, "sh", "-c", probe])).toBe(want);
    const layerOf = async (ref: string) => {
      const save = await h.raw(["save", ref]);
      const index = JSON.parse(tarFile(save.stdout, "index.json"));
      const manifest = JSON.parse(tarFile(save.stdout, `blobs/sha256/${index.manifests[0].digest.slice(7)}`));
      const desc = manifest.layers.at(-1);
      return { desc, blob: new Uint8Array(Bun.spawnSync(["tar", "-xO", `blobs/sha256/${desc.digest.slice(7)}`], { stdin: save.stdout }).stdout) };
    };
    const p = await layerOf("plain");
    expect(p.desc.mediaType).toBe("application/vnd.oci.image.layer.v1.tar");
    expect(p.desc.digest).toBe(plain.at(-1));
    const g = await layerOf("gz");
    expect(g.desc.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    expect(g.desc.digest).not.toBe(plain.at(-1));
    expect(Buffer.compare(Bun.gunzipSync(g.blob), p.blob)).toBe(0);
    expect((await layerOf("gz2")).desc.digest).toBe(g.desc.digest);
    expect((await layerOf("zst")).desc.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+zstd");
    const bad = await h.bunker(["commit", "--compression", "lz4", "nc"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("must be gzip, zstd or none");
  }, 60_000);

  test("kill -9 mid-commit: no image, and the next command removes the debris", async () => {
    await h.changed("big", "dd if=/dev/urandom of=/big bs=1M count=150 2>/dev/null");
    const before = await h.ok(["images", "-q"]);
    const ingest = join(h.root, "content/ingest");
    const written = () => readdirSync(ingest).reduce((n, d) => n + (existsSync(join(ingest, d, "data")) ? statSync(join(ingest, d, "data")).size : 0), 0);
    const p = Bun.spawn(h.argv(["commit", "big", "half"]), { env: h.env(), stdout: "ignore", stderr: "ignore" });
    const deadline = Date.now() + 20_000;
    while (written() < 8_000_000 && Date.now() < deadline) await Bun.sleep(1);
    p.kill("SIGKILL");
    await p.exited;
    expect(readdirSync(ingest).length).toBeGreaterThan(0); // killed mid-write: the ingest was left
    // the container was paused for the read by the commit that died (on record with its pid; `ps`
    // only reads)...
    const id = await h.ok(["ps", "-aq", "--no-trunc", "--filter", "name=big"]);
    const state = JSON.parse(readFileSync(join(h.root, "containers", id, "state.json"), "utf8"));
    expect(state.Status).toBe("paused");
    expect(state.PausedBy.Pid).toBe(p.pid);
    // ...and the next command that looks at it thaws it
    expect(await h.ok(["inspect", "-f", "{{.State.Status}}", "big"])).toBe("running");
    expect(await h.ok(["exec", "big", "echo", "thawed"])).toBe("thawed");
    expect(await h.ok(["images", "-q"])).toBe(before);
    expect(readdirSync(ingest)).toEqual([]);
    expect(readdirSync(join(h.root, "leases")).filter((f) => f.endsWith(".lease"))).toEqual([]);
    // and a commit afterwards is whole
    await h.ok(["commit", "big", "whole"]);
    expect(await h.ok(["run", "--rm", "whole", "sh", "-c", "wc -c < /big"])).toBe(String(150 << 20));
  }, 60_000);

  test("commit --snapshot lazy: the blob only; ensureSnapshots unpacks it (verified) before the first run", async () => {
    await h.changed("lz", "mkdir -p /data && echo lazy > /data/f && rm /etc/group");
    await h.ok(["commit", "lz", "eager"]);
    await h.ok(["commit", "--snapshot", "lazy", "lz", "lazy"]);
    await h.ok(["commit", "--snapshot", "lazy", "--compression", "none", "lz", "lazyplain"]);
    const eager = (await inspectImage("eager")).RootFS.Layers;
    expect((await inspectImage("lazy")).RootFS.Layers).toEqual(eager);
    expect((await inspectImage("lazyplain")).RootFS.Layers).toEqual(eager);
    // a fresh store holds the lazy image's blobs but not its new snapshot: unpack, then run
    const other = new TestHarness("commit-lazy");
    try {
      await other.setup();
      const tar = await h.raw(["save", "lazyplain"]);
      const load = await other.raw(["load"], tar.stdout);
      expect(load.code).toBe(0);
      setPaths({ root: other.root });
      const store = await ImageStore.open(other.root);
      const img = (await store.images()).find((i) => i.records.some((r) => r.name.endsWith("lazyplain:latest")))!;
      expect(await ensureSnapshots(store, img.manifest, img.config)).toBe(0); // load unpacked them already
      const snap = img.chainIds.at(-1)!;
      await store.snapshots.remove(snap);
      expect(store.snapshots.stat(snap)).toBeNull();
      expect(await ensureSnapshots(store, img.manifest, img.config)).toBe(1);
      expect(await other.ok(["run", "--rm", "lazyplain", "sh", "-c", "cat /data/f; test -e /etc/group || echo gone"])).toBe("lazy\ngone");
    } finally {
      await other.teardown();
    }
  }, 60_000);

  test("commit -c/-a/-m: config, author and comment like Docker", async () => {
    await h.changed("c3", "echo x > /x");
    await h.ok(["commit", "-a", "Jane <j@x>", "-m", "a message", "-c", 'CMD ["cat", "/x"]', "-c", "ENV FOO=bar", "-c", "WORKDIR /tmp", "-c", "EXPOSE 8080", "c3", "img3"]);
    const img = await inspectImage("img3");
    expect(img.Config.Cmd).toEqual(["cat", "/x"]);
    expect(img.Config.Env).toContain("FOO=bar");
    expect(img.Config.WorkingDir).toBe("/tmp");
    expect(Object.keys(img.Config.ExposedPorts ?? {})).toEqual(["8080/tcp"]);
    expect(img.Author).toBe("Jane <j@x>");
    expect(img.Comment).toBe("a message");
    expect(await h.ok(["run", "--rm", "img3"])).toBe("x");
    expect(await h.ok(["run", "--rm", "img3", "sh", "-c", "echo $FOO; pwd"])).toBe("bar\n/tmp");
    const bad = await h.bunker(["commit", "-c", "FROM x", "c3"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("from is not a valid change command");
  }, 60_000);

  test("commit of an unchanged or stopped container; --pause=false; errors", async () => {
    await h.ok(["run", "--name", "u1", "busybox", "true"]);
    const parent = await inspectImage("busybox");
    await h.ok(["commit", "u1", "same"]);
    const img = await inspectImage("same");
    // Docker adds no layer for an empty change (history says empty_layer)
    expect(img.RootFS.Layers).toEqual(parent.RootFS.Layers);
    await h.changed("p1", "echo p > /p");
    await h.ok(["commit", "--pause=false", "p1", "nopause"]);
    expect(await h.ok(["run", "--rm", "nopause", "cat", "/p"])).toBe("p");
    await h.ok(["stop", "-t", "0", "p1"]);
    await h.ok(["commit", "p1", "stopped"]);
    expect(await h.ok(["run", "--rm", "stopped", "cat", "/p"])).toBe("p");
    const miss = await h.bunker(["commit", "nope"]);
    expect(miss.code).toBe(1);
    expect(miss.stderr.trim()).toBe("Error response from daemon: No such container: nope");
  }, 60_000);

  test("diff: Docker's A/C/D lines sorted by path, placeholders left out, opaque dirs' hidden entries", async () => {
    await h.changed("d1", "echo hi > /f; rm /etc/group; mkdir -p /usr/x; echo 1 >> /etc/passwd; rm -rf /usr/bin; mkdir /usr/bin; touch /usr/bin/new");
    expect((await h.ok(["diff", "d1"])).split("\n")).toEqual([
      "C /etc",
      "D /etc/group",
      "C /etc/passwd",
      "A /f",
      "C /usr",
      "C /usr/bin",
      "A /usr/bin/new",
      "A /usr/x",
    ]);
    await h.changed("d0", "mkdir /data && touch /data/a /data/b");
    await h.ok(["commit", "d0", "withdata2"]);
    await h.changed("d3", "rm -rf /data; mkdir /data; touch /data/new", "withdata2");
    expect((await h.ok(["diff", "d3"])).split("\n")).toEqual(["C /data", "D /data/a", "D /data/b", "A /data/new"]);
    await h.ok(["run", "--name", "d2", "busybox", "true"]);
    expect(await h.ok(["container", "diff", "d2"])).toBe("");
    const miss = await h.bunker(["diff", "nope"]);
    expect(miss.stderr.trim()).toBe("Error response from daemon: No such container: nope");
  }, 60_000);

  test("export: the merged filesystem, running or stopped, -o or stdout", async () => {
    await h.changed("e1", "echo hi > /f; rm /etc/group");
    const out = await h.raw(["export", "e1"]);
    expect(out.code).toBe(0);
    const names = tarNames(out.stdout);
    expect(names).toContain("f");
    expect(names).toContain("bin/busybox");
    expect(names).toContain("etc/passwd");
    expect(names).not.toContain("etc/group");
    expect(names.some((n) => n.includes(".wh."))).toBe(false);
    expect(tarFile(out.stdout, "f")).toBe("hi\n");
    await h.ok(["stop", "-t", "0", "e1"]);
    const file = `${h.base}/e1.tar`;
    await h.ok(["container", "export", "-o", file, "e1"]);
    const names2 = tarNames(new Uint8Array(await Bun.file(file).arrayBuffer()));
    expect(names2).toEqual(names);
  }, 60_000);
});
