import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataDirLockedError } from "./data-dir-lock.js";
import { openContentStore } from "./open-store.js";
import { storedImage, tempDir, writeBlob } from "./test-helpers.js";
import { verifyStore } from "./verify.js";

describe("start-up recovery, verify and scrub", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it("creates an OCI image layout in an empty data dir", async () => {
    const store = await openContentStore({ root: dir });
    await store.close();
    expect(JSON.parse(await readFile(join(dir, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect(JSON.parse(await readFile(join(dir, "index.json"), "utf8"))).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [],
    });
    expect((await readdir(join(dir, "blobs"))).sort()).toEqual(["sha256", "sha512"]);
  });

  it("removes what interrupted writes left in ingest/, and never shows it as a blob", async () => {
    const store = await openContentStore({ root: dir });
    const writer = await store.createBlobWriter();
    await writer.write(Buffer.from("half of a layer"));
    const temp = await store.createTempFile();
    await writeFile(temp.path, "half of a worker's layer");
    // Simulate a crash: the process is gone without commit or abort.
    await writeFile(join(dir, "ingest", "atomic-leftover"), "x");
    expect(await store.statBlob(digestOf("half of a layer"))).toBeUndefined();
    await store.close();
    expect((await readdir(join(dir, "ingest"))).length).toBe(3);
    const reopened = await openContentStore({ root: dir });
    expect(await readdir(join(dir, "ingest"))).toEqual([]);
    expect(temp.path.startsWith(join(dir, "ingest"))).toBe(true);
    await writer.abort(); // closes the old handle; its file is already gone
    await reopened.close();
  });

  it("shares one store per data dir within a process and refuses a second live process", async () => {
    const a = await openContentStore({ root: dir });
    const b = await openContentStore({ root: dir });
    expect(b).toBe(a);
    await b.close();
    await writeBlob(a, "still open"); // a is still usable after b closed
    await a.close();
    // The lock folder's newest slot names a live process that is not us: our parent (the test runner).
    const slots = (await readdir(join(dir, "satellite.lock"))).filter((n) => /^\d+$/.test(n)).map(Number);
    await writeFile(join(dir, "satellite.lock", String(Math.max(...slots) + 1)), `${process.ppid} -\n`);
    const refused = await openContentStore({ root: dir }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).pid).toBe(process.ppid);
    // Once that holder is gone (here: its slot names a pid no process has), the lock is taken over.
    await writeFile(join(dir, "satellite.lock", String(Math.max(...slots) + 2)), "999999999 -\n");
    const c = await openContentStore({ root: dir });
    await c.close();
  });

  it("honours the pid file of earlier versions: a live writer keeps the store, a dead one's file is replaced", async () => {
    const { dir: legacy, remove: removeLegacy } = await tempDir();
    try {
      await writeFile(join(legacy, "satellite.lock"), `${process.ppid}\n`);
      await expect(openContentStore({ root: legacy })).rejects.toBeInstanceOf(DataDirLockedError);
      await writeFile(join(legacy, "satellite.lock"), "999999999\n");
      const store = await openContentStore({ root: legacy });
      await store.close();
      expect((await stat(join(legacy, "satellite.lock"))).isDirectory()).toBe(true);
    } finally {
      await removeLegacy();
    }
  });

  it("drops index entries whose manifest is missing or corrupt, keeping the rest", async () => {
    const store = await openContentStore({ root: dir });
    const good = await storedImage(store, "good");
    const bad = await storedImage(store, "bad");
    await store.putManifest("app", good.manifest, MediaType.OciManifest, "good");
    await store.putManifest("app", bad.manifest, MediaType.OciManifest, "bad");
    await store.close();
    await writeFile(join(dir, "blobs", "sha256", bad.digest.slice(7)), "{ torn }");
    const reopened = await openContentStore({ root: dir });
    expect(await reopened.listTags("app")).toEqual(["good"]);
    const report = await verifyStore(dir);
    expect(report.ok).toBe(false);
    expect(report.corrupt.map((c) => c.digest)).toEqual([bad.digest]);
    expect(await reopened.scrubOnce()).toEqual([bad.digest]);
    expect(await reopened.statBlob(bad.digest)).toBeUndefined();
    expect(await readdir(join(dir, "quarantine"))).toHaveLength(1);
    expect(await verifyStore(dir)).toMatchObject({ ok: true, corrupt: [], missing: [] });
    await reopened.close();
  });

  it("a scrub pass reads every byte at its rate, counts what it read, and quarantines a blob with one byte flipped", async () => {
    const store = await openContentStore({ root: dir });
    const image = await storedImage(store, "v");
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "v");
    const layer = image.blobs[1].digest;
    const path = join(dir, "blobs", "sha256", layer.slice(7));
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(path, bytes);
    const usage = await store.usage();
    let counted = 0;
    const pass = await store.scrubPass({ bytesPerSecond: 1e9, onBytes: (n) => (counted += n) });
    expect(pass).toEqual({ checked: usage.blobs, bytes: usage.bytes, quarantined: [layer] });
    expect(counted).toBe(usage.bytes);
    expect(await store.statBlob(layer)).toBeUndefined();
    expect(await store.recheckBlob(layer, bytes.length)).toBe("missing");
    await store.close();
  });

  it("verify reports a manifest whose layer vanished", async () => {
    const store = await openContentStore({ root: dir });
    const image = await storedImage(store, "v");
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "v");
    await store.close();
    const { rm } = await import("node:fs/promises");
    await rm(join(dir, "blobs", "sha256", image.blobs[1].digest.slice(7)));
    expect((await verifyStore(dir)).missing).toEqual([{ digest: image.blobs[1].digest, referencedBy: image.digest }]);
  });

  it("serves a layout another tool wrote with <repository>:<tag> ref names", async () => {
    const store = await openContentStore({ root: dir });
    const image = await storedImage(store, "skopeo");
    const w = await store.createBlobWriter();
    await w.write(image.manifest);
    await w.commit({ digest: image.digest });
    await store.close();
    const desc = { mediaType: MediaType.OciManifest, digest: image.digest, size: image.manifest.length };
    await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
    await writeFile(
      join(dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ ...desc, annotations: { "org.opencontainers.image.ref.name": "library/busybox:1.36" } }],
      }),
    );
    const reopened = await openContentStore({ root: dir });
    expect((await reopened.getManifest("library/busybox", "1.36"))?.digest).toBe(image.digest);
    await reopened.close();
  });
});
