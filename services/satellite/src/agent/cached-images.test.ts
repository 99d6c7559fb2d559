import { digestOf, MediaType } from "@harbor-satellite/oci";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeContentStore, type FakeContentStore } from "../replication/testing/fake-content-store.js";
import { createCachedImageCatalog } from "./cached-images.js";

let store: FakeContentStore | undefined;
afterEach(async () => {
  await store?.remove();
  store = undefined;
});

async function putImage(s: FakeContentStore, repository: string, tag: string | undefined, layers: Buffer[]) {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", layers: layers.length }));
  for (const blob of [config, ...layers]) {
    const writer = await s.createBlobWriter();
    await writer.write(blob);
    await writer.commit({ digest: digestOf(blob), size: blob.length });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.OciLayer, digest: digestOf(l), size: l.length })),
    }),
  );
  const digest = await s.putManifest(repository, manifest, MediaType.OciManifest, tag);
  return { digest, size: manifest.length + config.length + layers.reduce((n, l) => n + l.length, 0), manifest };
}

describe("cached images for the heartbeat", () => {
  it("lists every tag as host/repository:tag@digest with manifest, config and layer bytes, indexes with their children", async () => {
    store = await createFakeContentStore();
    const nginx = await putImage(store, "apps/nginx", "1.27", [Buffer.alloc(1000, 1), Buffer.alloc(500, 2)]);
    await putImage(store, "apps/nginx", "latest", [Buffer.alloc(1000, 1), Buffer.alloc(500, 2)]);
    const amd = await putImage(store, "apps/multi", undefined, [Buffer.alloc(300, 3)]);
    const arm = await putImage(store, "apps/multi", undefined, [Buffer.alloc(400, 4)]);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          {
            mediaType: MediaType.OciManifest,
            digest: amd.digest,
            size: amd.manifest.length,
            platform: { os: "linux", architecture: "amd64" },
          },
          {
            mediaType: MediaType.OciManifest,
            digest: arm.digest,
            size: arm.manifest.length,
            platform: { os: "linux", architecture: "arm64" },
          },
        ],
      }),
    );
    const indexDigest = await store.putManifest("apps/multi", index, MediaType.OciIndex, "2");

    let host = "127.0.0.1:8585";
    const catalog = createCachedImageCatalog(store, () => host);
    expect(await catalog.list()).toEqual([
      {
        reference: `127.0.0.1:8585/apps/multi:2@${indexDigest}`,
        sizeBytes: BigInt(index.length + amd.size + arm.size),
      },
      { reference: `127.0.0.1:8585/apps/nginx:1.27@${nginx.digest}`, sizeBytes: BigInt(nginx.size) },
      { reference: `127.0.0.1:8585/apps/nginx:latest@${nginx.digest}`, sizeBytes: BigInt(nginx.size) },
    ]);

    host = "edge.local:5000";
    await store.deleteManifest("apps/nginx", "latest");
    expect((await catalog.list()).map((e) => e.reference)).toEqual([
      `edge.local:5000/apps/multi:2@${indexDigest}`,
      `edge.local:5000/apps/nginx:1.27@${nginx.digest}`,
    ]);
  });

  it("is empty for an empty store", async () => {
    store = await createFakeContentStore();
    expect(await createCachedImageCatalog(store, () => "h:1").list()).toEqual([]);
  });
});
