import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MediaType, digestOf, parseManifest } from "@harbor-satellite/oci";
import { buildImage, buildIndex, makeBlobDir, removeBlobDir, writeOciLayout } from "./images.js";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map(removeBlobDir)));
const scratch = async () => {
  const d = await makeBlobDir();
  dirs.push(d);
  return d;
};

describe("synthetic images", () => {
  it("builds an OCI image whose blobs match their descriptors and whose layers are real tar", async () => {
    const image = await buildImage({ layerSizes: [1000, 70_000], dir: await scratch() });
    const parsed = parseManifest(image.manifest);
    expect(parsed.kind).toBe("manifest");
    for (const blob of [image.config, ...image.layers]) {
      const data = await readFile(blob.path);
      expect(digestOf(data)).toBe(blob.digest);
      expect(data.length).toBe(blob.size);
    }
    const listing = execFileSync("tar", ["-tf", image.layers[1].path]).toString().trim();
    expect(listing).toMatch(/^data-[0-9a-f]+\.bin$/);
    const config = JSON.parse((await readFile(image.config.path)).toString());
    expect(config.rootfs.diff_ids).toEqual(image.layers.map((l) => l.digest));
  });

  it("builds Docker images with gzip layers whose diff IDs are the uncompressed tar digests", async () => {
    const image = await buildImage({ layerSizes: [5000], format: "docker", dir: await scratch() });
    expect(image.mediaType).toBe(MediaType.DockerManifest);
    const layer = await readFile(image.layers[0].path);
    expect(layer.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const tar = execFileSync("gzip", ["-dc", image.layers[0].path]);
    const config = JSON.parse((await readFile(image.config.path)).toString());
    expect(config.rootfs.diff_ids[0]).toBe(`sha256:${createHash("sha256").update(tar).digest("hex")}`);
  });

  it("builds a multi-arch index and writes an OCI layout", async () => {
    const index = await buildIndex(
      [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
      ],
      { layerSizes: [10], dir: await scratch() },
    );
    expect(parseManifest(index.manifest).kind).toBe("index");
    const layout = await mkdtemp(join(tmpdir(), "hs-layout-"));
    dirs.push(layout);
    await writeOciLayout(layout, [{ tag: "v1", image: index }]);
    const top = JSON.parse((await readFile(join(layout, "index.json"))).toString());
    expect(top.manifests[0]).toMatchObject({
      digest: index.manifestDigest,
      annotations: { "org.opencontainers.image.ref.name": "v1" },
    });
    const child = await readFile(join(layout, "blobs", "sha256", index.images[1].manifestDigest.slice(7)));
    expect(digestOf(child)).toBe(index.images[1].manifestDigest);
  });
});
