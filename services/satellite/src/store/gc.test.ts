import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FsContentStore } from "./fs-content-store.js";
import { imageManifest, indexManifest, openTempStore, storedImage, writeBlob } from "./test-helpers.js";

describe("garbage collection", () => {
  let store: FsContentStore;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, dir, cleanup } = await openTempStore()));
  afterEach(() => cleanup());

  const present = async (digest: string) => (await store.statBlob(digest)) !== undefined;

  it("keeps what tags reach and removes a deleted image's blobs", async () => {
    const kept = await storedImage(store, "kept");
    const gone = await storedImage(store, "gone");
    await store.putManifest("app", kept.manifest, MediaType.OciManifest, "kept");
    await store.putManifest("app", gone.manifest, MediaType.OciManifest, "gone");
    await store.deleteManifest("app", gone.digest);
    const result = await store.collectGarbage({ graceMs: 0 });
    expect(result.removedBlobs).toBe(3); // manifest, config, layer
    expect(result.freedBytes).toBe(gone.manifest.length + gone.blobs.reduce((n, b) => n + b.size, 0));
    for (const d of [kept.digest, ...kept.blobs.map((b) => b.digest)]) expect(await present(d)).toBe(true);
    for (const d of [gone.digest, ...gone.blobs.map((b) => b.digest)]) expect(await present(d)).toBe(false);
    expect(await store.verify()).toMatchObject({ ok: true, blobs: 3 });
  });

  it("follows index children and referrers, and drops untagged manifests nothing reaches", async () => {
    const a = await storedImage(store, "a");
    const b = await storedImage(store, "b");
    const orphan = await storedImage(store, "orphan");
    for (const img of [a, b, orphan]) await store.putManifest("multi", img.manifest, MediaType.OciManifest);
    const index = indexManifest([{ bytes: a.manifest }, { bytes: b.manifest }]);
    await store.putManifest("multi", index, MediaType.OciIndex, "latest");
    const sig = imageManifest(await writeBlob(store, "{}"), [await writeBlob(store, "sig of index")], {
      subject: { mediaType: MediaType.OciIndex, digest: digestOf(index), size: index.length },
    });
    await store.putManifest("multi", sig, MediaType.OciManifest);
    const result = await store.collectGarbage({ graceMs: 0 });
    expect(result.removedManifests).toBe(1);
    expect(await store.getManifest("multi", orphan.digest)).toBeUndefined();
    expect(await present(orphan.blobs[1].digest)).toBe(false);
    for (const d of [digestOf(index), a.digest, b.digest, digestOf(sig), digestOf("sig of index")])
      expect(await present(d)).toBe(true);
  });

  describe("tag-schema tags (cosign's sha256-<hex>.sig, .att, .sbom) go with their subject", () => {
    const schemaTag = (digest: string, suffix: string) => `${digest.replace(":", "-")}.${suffix}`;
    /** A small artifact manifest (one blob) stored under `tag`, optionally with a subject. */
    const artifact = async (repository: string, seed: string, tag?: string, subject?: string, bytes?: Buffer) => {
      const blob = await writeBlob(store, `artifact ${seed}`);
      const manifest = imageManifest(await writeBlob(store, "{}"), [blob], {
        ...(subject ? { subject: { mediaType: MediaType.OciManifest, digest: subject, size: bytes!.length } } : {}),
      });
      await store.putManifest(repository, manifest, MediaType.OciManifest, tag);
      return { digest: digestOf(manifest), blob: blob.digest };
    };

    it("keeps them while the image is tagged, and collects them with it once untagged", async () => {
      const image = await storedImage(store, "signed");
      await store.putManifest("app", image.manifest, MediaType.OciManifest, "v1");
      const sig = await artifact("app", "sig", schemaTag(image.digest, "sig"));
      const att = await artifact("app", "att", schemaTag(image.digest, "att"));
      const sbom = await artifact("app", "sbom", schemaTag(image.digest, "sbom"));
      const referrer = await artifact("app", "referrer", undefined, image.digest, image.manifest);
      const sigOfAtt = await artifact("app", "sig of att", schemaTag(att.digest, "sig"));
      const all = [sig, att, sbom, referrer, sigOfAtt];

      expect((await store.collectGarbage({ graceMs: 0 })).removedManifests).toBe(0);
      for (const a of all) expect(await present(a.blob)).toBe(true);

      await store.deleteManifest("app", "v1");
      const result = await store.collectGarbage({ graceMs: 0 });
      expect(result.removedManifests).toBe(6); // the image and its five artifacts
      for (const a of all) {
        expect(await store.getManifest("app", a.digest)).toBeUndefined();
        expect(await present(a.blob)).toBe(false);
      }
      expect(await store.listRepositories()).toEqual([]);
      expect(await store.verify()).toMatchObject({ ok: true, blobs: 0 });
    });

    it("collects the tags of an image that was never tagged, and keeps those of an index's child", async () => {
      const loose = await storedImage(store, "never tagged");
      await store.putManifest("app", loose.manifest, MediaType.OciManifest);
      const orphan = await artifact("app", "orphan sig", schemaTag(loose.digest, "sig"));
      const child = await storedImage(store, "child");
      await store.putManifest("multi", child.manifest, MediaType.OciManifest);
      const index = indexManifest([{ bytes: child.manifest }]);
      await store.putManifest("multi", index, MediaType.OciIndex, "1.0");
      const childSig = await artifact("multi", "child sig", schemaTag(child.digest, "sig"));
      const indexSig = await artifact("multi", "index sig", schemaTag(digestOf(index), "sig"));
      // Signatures kept in a repository of their own (cosign's COSIGN_REPOSITORY) follow the same rule.
      const elsewhere = await artifact("signatures", "elsewhere", schemaTag(digestOf(index), "sig"));

      await store.collectGarbage({ graceMs: 0 });
      expect(await store.getManifest("app", loose.digest)).toBeUndefined();
      expect(await store.getManifest("app", schemaTag(loose.digest, "sig"))).toBeUndefined();
      expect(await present(orphan.blob)).toBe(false);
      for (const kept of [childSig, indexSig]) expect(await present(kept.blob)).toBe(true);
      expect(await store.listTags("multi")).toEqual(
        ["1.0", schemaTag(child.digest, "sig"), schemaTag(digestOf(index), "sig")].sort(),
      );
      expect(await present(elsewhere.blob)).toBe(true);

      await store.deleteManifest("multi", "1.0");
      await store.collectGarbage({ graceMs: 0 });
      for (const gone of [childSig, indexSig, elsewhere]) expect(await present(gone.blob)).toBe(false);
      expect(await store.listRepositories()).toEqual([]);
    });
  });

  it("spares a push under way: unclaimed blobs and untagged children within the grace period", async () => {
    const child = await storedImage(store, "child");
    await store.putManifest("app", child.manifest, MediaType.OciManifest); // index not pushed yet
    const loose = await writeBlob(store, "uploaded, manifest still coming");
    await store.collectGarbage({ graceMs: 60_000 });
    expect(await store.getManifest("app", child.digest)).toBeDefined();
    expect(await present(loose.digest)).toBe(true);
    await store.collectGarbage({ graceMs: 0 });
    expect(await store.getManifest("app", child.digest)).toBeUndefined();
    expect(await present(loose.digest)).toBe(false);
  });

  it("frees an index's children once the index is deleted, even within the grace period", async () => {
    const child = await storedImage(store, "claimed");
    await store.putManifest("app", child.manifest, MediaType.OciManifest);
    const index = indexManifest([{ bytes: child.manifest }]);
    await store.putManifest("app", index, MediaType.OciIndex, "v1");
    await store.deleteManifest("app", "v1");
    await store.collectGarbage({ graceMs: 60_000 });
    expect(await present(child.digest)).toBe(false);
    expect(await present(child.blobs[1].digest)).toBe(false);
  });

  it("keeps what foreign index.json descriptors reach", async () => {
    const image = await storedImage(store, "foreign");
    const writer = await store.createBlobWriter();
    await writer.write(image.manifest);
    await writer.commit({ digest: image.digest });
    await store.close();
    const index = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MediaType.OciManifest,
          digest: image.digest,
          size: image.manifest.length,
          annotations: { "org.opencontainers.image.ref.name": "latest" },
        },
      ],
    };
    await writeFile(join(dir, "index.json"), JSON.stringify(index));
    const { openContentStore } = await import("./open-store.js");
    store = await openContentStore({ root: dir });
    await store.collectGarbage({ graceMs: 0 });
    for (const d of [image.digest, ...image.blobs.map((b) => b.digest)]) expect(await present(d)).toBe(true);
    expect(JSON.parse(await readFile(join(dir, "index.json"), "utf8")).manifests).toEqual(index.manifests);
  });

  it("never sweeps a blob a concurrent manifest push has checked", async () => {
    // Pushes and collections race in both orders: either the push wins and all its blobs stay,
    // or GC swept first and the push is refused; never a stored manifest with a missing blob.
    let stored = 0;
    for (let round = 0; round < 20; round++) {
      const image = await storedImage(store, `race-${round}`);
      const push = () => store.putManifest("race", image.manifest, MediaType.OciManifest, `t${round}`);
      const gc = () => store.collectGarbage({ graceMs: 0 });
      const [put] = await Promise.allSettled(round % 2 === 0 ? [push(), gc()] : [gc(), push()].reverse());
      if (put.status === "fulfilled") {
        stored++;
        for (const b of image.blobs) expect(await present(b.digest)).toBe(true);
      } else {
        expect(put.reason).toMatchObject({ code: "MANIFEST_BLOB_UNKNOWN" });
      }
    }
    expect(stored).toBeGreaterThan(0);
    expect(await store.verify()).toMatchObject({ ok: true });
  });

  it("reports disk usage", async () => {
    const a = await writeBlob(store, "12345");
    const b = await writeBlob(store, "1234567890");
    expect(await store.usage()).toEqual({ bytes: a.size + b.size, blobs: 2 });
  });
});
