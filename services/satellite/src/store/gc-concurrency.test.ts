// GC beside readers and writers, as the store quota runs it: an eviction's collection while a
// client still downloads the evicted image's layer, and while a pass has written blobs for a
// manifest it has not put yet.
import { createHash } from "node:crypto";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FsContentStore } from "./fs-content-store.js";
import { imageManifest, openTempStore, writeBlob } from "./test-helpers.js";

describe("garbage collection beside pulls and passes", () => {
  let store: FsContentStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await openTempStore()));
  afterEach(() => cleanup());

  it("a download under way completes with the right bytes although its image was evicted and collected", async () => {
    const config = await writeBlob(store, '{"os":"linux"}');
    const layer = await writeBlob(store, Buffer.alloc(4 << 20, "layer"));
    const digest = await store.putManifest("app", imageManifest(config, [layer]), MediaType.OciManifest, "old");
    const download = await store.openBlob(layer.digest);
    const hash = createHash("sha256");
    // The first chunk is read before the eviction, the rest after the file is gone.
    await new Promise<void>((resolve) => download.once("data", (chunk: Buffer) => (hash.update(chunk), resolve())));
    download.pause();
    await store.deleteManifest("app", digest);
    const swept = await store.collectGarbage({ graceMs: 0 });
    expect(swept.removedBlobs).toBe(3);
    expect(await store.statBlob(layer.digest)).toBeUndefined();
    for await (const chunk of download) hash.update(chunk as Buffer);
    expect(`sha256:${hash.digest("hex")}`).toBe(layer.digest);
  });

  it("a collection between a pass's blob writes and its manifest put spares those blobs (default grace)", async () => {
    const config = await writeBlob(store, '{"os":"linux","pass":1}');
    const layer = await writeBlob(store, "layer a pass just wrote");
    await store.collectGarbage();
    const manifest = imageManifest(config, [layer]);
    expect(await store.putManifest("app", manifest, MediaType.OciManifest, "new")).toBe(digestOf(manifest));
    expect(await store.statBlob(layer.digest)).toBeDefined();
  });
});
