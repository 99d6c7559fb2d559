// The engine's layers (temp files) are renamed into blobs/ without a folder fsync each; the folder
// is fsynced once before a manifest that references them is committed, and at close.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BlobFiles } from "./blob-files.js";
import { DirSync } from "./dir-sync.js";
import type { FsContentStore } from "./fs-content-store.js";
import { storePaths } from "./paths.js";
import { descriptorOf, imageManifest, openTempStore, tempDir } from "./test-helpers.js";

/** A DirSync whose folder fsyncs are recorded (and can be made to fail). */
function recordingDirSync() {
  const synced: string[] = [];
  let failNext = false;
  const dirSync = new DirSync(async (dir) => {
    if (failNext) {
      failNext = false;
      throw Object.assign(new Error("EIO"), { code: "EIO" });
    }
    synced.push(dir);
  });
  return { dirSync, synced, failNextSync: () => void (failNext = true) };
}

describe("BlobFiles deferred folder sync", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  async function filesWithTemp(count: number) {
    const paths = storePaths(dir);
    await mkdir(paths.blobDir("sha256"), { recursive: true });
    await mkdir(paths.ingest, { recursive: true });
    const recorder = recordingDirSync();
    const files = new BlobFiles(paths, recorder.dirSync);
    const blobs = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const data = Buffer.from(`layer ${i}`);
        const temp = join(paths.ingest, `temp-${i}`);
        await writeFile(temp, data);
        return { temp, digest: digestOf(data), size: data.length };
      }),
    );
    return { files, blobs, paths, ...recorder };
  }

  it("renames without a folder fsync until syncDeferred, which fsyncs each folder once", async () => {
    const { files, blobs, paths, synced } = await filesWithTemp(5);
    for (const b of blobs) await files.install(b.temp, b.digest, b.size, { folderSync: "deferred" });
    expect(synced).toEqual([]);
    for (const b of blobs) expect(await files.restat(b.digest)).toEqual({ digest: b.digest, size: b.size });
    await files.syncDeferred();
    expect(synced).toEqual([paths.blobDir("sha256")]);
    await files.syncDeferred();
    expect(synced).toHaveLength(1);
  });

  it("keeps a folder whose fsync failed for the next syncDeferred", async () => {
    const { files, blobs, paths, synced, failNextSync } = await filesWithTemp(1);
    await files.install(blobs[0].temp, blobs[0].digest, blobs[0].size, { folderSync: "deferred" });
    failNextSync();
    await expect(files.syncDeferred()).rejects.toThrow("EIO");
    await files.syncDeferred();
    expect(synced).toEqual([paths.blobDir("sha256")]);
  });

  it("fsyncs the folder before returning from an install by default", async () => {
    const { files, blobs, paths, synced } = await filesWithTemp(1);
    await files.install(blobs[0].temp, blobs[0].digest, blobs[0].size);
    expect(synced).toEqual([paths.blobDir("sha256")]);
  });
});

describe("FsContentStore: a temp file's rename is durable before a manifest names it", () => {
  let store: FsContentStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await openTempStore()));
  afterEach(async () => {
    vi.restoreAllMocks();
    await cleanup();
  });

  async function viaTempFile(data: Buffer) {
    const temp = await store.createTempFile();
    await writeFile(temp.path, data);
    await temp.commitVerified(digestOf(data), data.length);
    return descriptorOf(data, MediaType.OciLayer);
  }

  it("installs the layers without a folder fsync, and syncs them once before the manifest is written", async () => {
    const install = vi.spyOn(BlobFiles.prototype, "install");
    const syncDeferred = vi.spyOn(BlobFiles.prototype, "syncDeferred");
    const config = await viaTempFile(Buffer.from("{}"));
    const layers = [await viaTempFile(Buffer.from("layer a")), await viaTempFile(Buffer.from("layer b"))];
    expect(install.mock.calls.map((call) => call[3])).toEqual([
      { folderSync: "deferred" },
      { folderSync: "deferred" },
      { folderSync: "deferred" },
    ]);
    expect(syncDeferred).not.toHaveBeenCalled();

    const manifest = imageManifest({ ...config, mediaType: MediaType.OciConfig }, layers);
    await store.putManifest("app", manifest, MediaType.OciManifest, "v1");
    // The manifest's own blob is installed (with its folder fsync) after the deferred renames were synced.
    expect(install.mock.calls[3]).toEqual([expect.any(String), digestOf(manifest), manifest.length]);
    expect(syncDeferred).toHaveBeenCalledTimes(1);
    expect(syncDeferred.mock.invocationCallOrder[0]).toBeLessThan(install.mock.invocationCallOrder[3]);
  });

  it("syncs deferred renames at close too", async () => {
    await viaTempFile(Buffer.from("layer"));
    const syncDeferred = vi.spyOn(BlobFiles.prototype, "syncDeferred");
    await store.close();
    expect(syncDeferred).toHaveBeenCalledTimes(1);
    store.retain(); // cleanup closes it again
  });
});
