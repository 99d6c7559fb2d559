import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FsContentStore } from "./fs-content-store.js";
import { openContentStore } from "./open-store.js";
import { REF_NAME_ANNOTATION, REPOSITORY_ANNOTATION } from "./paths.js";
import { descriptorOf, imageManifest, indexManifest, openTempStore, storedImage, writeBlob } from "./test-helpers.js";

describe("manifests and tags", () => {
  let store: FsContentStore;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, dir, cleanup } = await openTempStore()));
  afterEach(() => cleanup());

  const indexJson = async () =>
    JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };

  it("stores exact bytes, resolves by tag and digest, and records the tag in index.json", async () => {
    const image = await storedImage(store, "a");
    const digest = await store.putManifest("library/app", image.manifest, MediaType.OciManifest, "v1");
    expect(digest).toBe(image.digest);
    const byTag = await store.getManifest("library/app", "v1");
    expect(byTag).toEqual({ digest, mediaType: MediaType.OciManifest, bytes: image.manifest });
    expect((await store.getManifest("library/app", digest))?.bytes.equals(image.manifest)).toBe(true);
    expect(await store.getManifest("library/app", "v2")).toBeUndefined();
    expect(await store.getManifest("other", digest)).toBeUndefined();
    const index = await indexJson();
    expect(index.manifests).toEqual([
      expect.objectContaining({
        digest,
        annotations: { [REPOSITORY_ANNOTATION]: "library/app", [REF_NAME_ANNOTATION]: "library/app:v1" },
      }),
    ]);
  });

  it("refuses a manifest whose blobs are missing, and changes nothing", async () => {
    const before = await readFile(join(dir, "index.json"), "utf8");
    const manifest = imageManifest(descriptorOf("no config"), [descriptorOf("no layer")]);
    await expect(store.putManifest("app", manifest, MediaType.OciManifest, "v1")).rejects.toMatchObject({
      code: "MANIFEST_BLOB_UNKNOWN",
    });
    await expect(store.putManifest("app", Buffer.from("{"), MediaType.OciManifest, "v1")).rejects.toMatchObject({
      code: "MANIFEST_INVALID",
    });
    await expect(store.putManifest("../app", manifest, MediaType.OciManifest)).rejects.toMatchObject({
      code: "NAME_INVALID",
    });
    expect(await readFile(join(dir, "index.json"), "utf8")).toBe(before);
    expect(await store.statBlob(digestOf(manifest))).toBeUndefined();
    expect(await store.listRepositories()).toEqual([]);
  });

  it("accepts non-distributable layers that are not stored", async () => {
    const config = await writeBlob(store, "{}");
    const foreign = {
      ...descriptorOf("windows base"),
      mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      urls: ["https://example.com/l"],
    };
    const manifest = imageManifest(config, [foreign]);
    await expect(store.putManifest("win", manifest, MediaType.OciManifest, "ltsc")).resolves.toBe(digestOf(manifest));
  });

  it("stores an index whose children were pushed by digest, and lists tags in ASCII order", async () => {
    const a = await storedImage(store, "amd64");
    const b = await storedImage(store, "arm64");
    await store.putManifest("multi", a.manifest, MediaType.OciManifest);
    await store.putManifest("multi", b.manifest, MediaType.OciManifest);
    const index = indexManifest([{ bytes: a.manifest }, { bytes: b.manifest }]);
    for (const tag of ["latest", "V2", "1.0", "_x"]) await store.putManifest("multi", index, MediaType.OciIndex, tag);
    expect(await store.listTags("multi")).toEqual(["1.0", "V2", "_x", "latest"]);
    expect(store.pageTags("multi", { n: 2 })).toEqual({ items: ["1.0", "V2"], next: "V2" });
    expect(store.pageTags("multi", { n: 2, last: "V2" })).toEqual({ items: ["_x", "latest"] });
    expect(store.pageTags("multi", { n: 0 })).toEqual({ items: [] });
    expect(store.pageTags("nope")).toBeUndefined();
  });

  it("refuses an index whose child manifest is missing", async () => {
    const a = await storedImage(store, "only");
    const index = indexManifest([{ bytes: a.manifest }]);
    await expect(store.putManifest("multi", index, MediaType.OciIndex, "v1")).rejects.toMatchObject({
      code: "MANIFEST_BLOB_UNKNOWN",
    });
  });

  it("deletes a tag alone, or a manifest with all its tags", async () => {
    const image = await storedImage(store, "del");
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "a");
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "b");
    expect(await store.deleteManifest("app", "a")).toBe(true);
    expect(await store.listTags("app")).toEqual(["b"]);
    expect(await store.getManifest("app", image.digest)).toBeDefined();
    expect(await store.deleteManifest("app", image.digest)).toBe(true);
    expect(await store.getManifest("app", "b")).toBeUndefined();
    expect(await store.deleteManifest("app", image.digest)).toBe(false);
    expect(await store.listRepositories()).toEqual([]);
  });

  it("keeps repositories, tags and referrers across a reopen", async () => {
    const image = await storedImage(store, "persist");
    await store.putManifest("team/app", image.manifest, MediaType.OciManifest, "v1");
    const sig = imageManifest(await writeBlob(store, "{}"), [await writeBlob(store, "signature")], {
      artifactType: "application/vnd.example.sig",
      subject: { mediaType: MediaType.OciManifest, digest: image.digest, size: image.manifest.length },
    });
    await store.putManifest("team/app", sig, MediaType.OciManifest);
    await store.close();
    store = await openContentStore({ root: dir });
    expect((await store.getManifest("team/app", "v1"))?.digest).toBe(image.digest);
    expect(await store.listRepositories()).toEqual(["team/app"]);
    expect(store.referrers("team/app", image.digest).map((d) => d.digest)).toEqual([digestOf(sig)]);
  });

  it("lists referrers with their artifact type and annotations, filtered on request", async () => {
    const image = await storedImage(store, "subject");
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "v1");
    const subject = { mediaType: MediaType.OciManifest, digest: image.digest, size: image.manifest.length };
    const empty = await writeBlob(store, "{}");
    const sbom = imageManifest(empty, [await writeBlob(store, "sbom")], {
      artifactType: "application/spdx+json",
      subject,
      annotations: { "org.example": "1" },
    });
    const plain = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { ...empty, mediaType: "application/vnd.example.config" },
        layers: [],
        subject,
      }),
    );
    const result = await store.storeManifest("app", sbom, MediaType.OciManifest);
    expect(result.subject).toBe(image.digest);
    await store.putManifest("app", plain, MediaType.OciManifest);
    const all = store.referrers("app", image.digest);
    expect(all).toHaveLength(2);
    expect(all.find((d) => d.digest === digestOf(sbom))).toEqual({
      mediaType: MediaType.OciManifest,
      digest: digestOf(sbom),
      size: sbom.length,
      artifactType: "application/spdx+json",
      annotations: { "org.example": "1" },
    });
    expect(all.find((d) => d.digest === digestOf(plain))?.artifactType).toBe("application/vnd.example.config");
    expect(store.referrers("app", image.digest, "application/spdx+json").map((d) => d.digest)).toEqual([
      digestOf(sbom),
    ]);
    expect(store.referrers("app", digestOf("nothing"))).toEqual([]);
  });

  it("accepts a referrer before its subject", async () => {
    const empty = await writeBlob(store, "{}");
    const subject = descriptorOf("not pushed yet", MediaType.OciManifest);
    const sig = imageManifest(empty, [], { subject });
    await store.putManifest("app", sig, MediaType.OciManifest);
    expect(store.referrers("app", subject.digest)).toHaveLength(1);
  });

  it("links uploaded blobs to a repository and unlinks them unless a manifest needs them", async () => {
    const image = await storedImage(store, "links");
    const [config, layer] = image.blobs;
    expect(await store.statRepositoryBlob("app", layer.digest)).toBeUndefined();
    await store.linkBlob("app", layer.digest);
    expect(await store.statRepositoryBlob("app", layer.digest)).toMatchObject({ size: layer.size });
    expect(await store.unlinkBlob("app", layer.digest)).toBe("unlinked");
    expect(await store.statRepositoryBlob("app", layer.digest)).toBeUndefined();
    await store.putManifest("app", image.manifest, MediaType.OciManifest, "v1");
    expect(await store.unlinkBlob("app", config.digest)).toBe("referenced");
    expect(await store.unlinkBlob("other", config.digest)).toBe("unknown");
  });
});
