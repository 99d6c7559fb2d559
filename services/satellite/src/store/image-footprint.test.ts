import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FsContentStore } from "./fs-content-store.js";
import { measureTaggedImages } from "./image-footprint.js";
import { imageManifest, openTempStore, storedImage, writeBlob } from "./test-helpers.js";

describe("measureTaggedImages", () => {
  let store: FsContentStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await openTempStore()));
  afterEach(() => cleanup());

  it("counts a cosign signature tag in the image it signs, and one whose image is gone on its own", async () => {
    const image = await storedImage(store, "signed");
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "v1");
    const payload = await writeBlob(store, "simple-signing payload");
    const sig = imageManifest(await writeBlob(store, "{}"), [payload]);
    await store.putManifest("app", sig, MediaType.OciManifest, `${image.digest.replace(":", "-")}.sig`);
    const stray = imageManifest(await writeBlob(store, "{}"), [await writeBlob(store, "stray payload")]);
    const strayTag = `sha256-${"0".repeat(64)}.sig`;
    await store.putManifest("app", stray, MediaType.OciManifest, strayTag);

    const images = await measureTaggedImages(store);
    expect(images.map((i) => i.tag)).toEqual(["v1", strayTag]);
    const files = images[0].files;
    for (const digest of [image.digest, ...image.blobs.map((b) => b.digest), digestOf(sig), payload.digest])
      expect(files.has(digest)).toBe(true);
    expect(files.get(payload.digest)).toBe(payload.size);
  });
});
