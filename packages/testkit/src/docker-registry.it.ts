import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { selfSignedLoopback } from "@harbor-satellite/oci/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerRegistryAvailable, startDockerRegistry, type DockerRegistry } from "./docker-registry.js";
import { buildImage, makeBlobDir, pushImage, removeBlobDir, type SyntheticImage } from "./images.js";

describe("startDockerRegistry", () => {
  let blobs: string;
  let image: SyntheticImage;
  beforeAll(async () => {
    expect(dockerRegistryAvailable(), "install Debian's docker-registry package").toBe(true);
    blobs = await makeBlobDir();
    image = await buildImage({ layerSizes: [1024, 4096], dir: blobs });
  });
  afterAll(async () => removeBlobDir(blobs));

  describe("read-write", () => {
    let registry: DockerRegistry;
    beforeAll(async () => {
      registry = await startDockerRegistry();
    });
    afterAll(async () => registry?.stop());

    it("serves the distribution API on loopback and accepts pushes", async () => {
      expect(registry.url).toBe(`http://127.0.0.1:${registry.port}`);
      expect(registry.host).toBe(`127.0.0.1:${registry.port}`);
      await pushImage(registry.url, "kit/app", "v1", image);
      const manifest = await fetch(`${registry.url}/v2/kit/app/manifests/v1`, { headers: { accept: image.mediaType } });
      expect(manifest.status).toBe(200);
      expect(manifest.headers.get("docker-content-digest")).toBe(image.manifestDigest);
      expect(Buffer.from(await manifest.arrayBuffer()).equals(image.manifest)).toBe(true);
      const catalog = (await (await fetch(`${registry.url}/v2/_catalog`)).json()) as { repositories: string[] };
      expect(catalog.repositories).toContain("kit/app");
    });

    it("deletes manifests by digest (storage.delete.enabled)", async () => {
      await pushImage(registry.url, "kit/gone", "v1", image);
      const del = await fetch(`${registry.url}/v2/kit/gone/manifests/${image.manifestDigest}`, { method: "DELETE" });
      expect(del.status).toBe(202);
      const head = await fetch(`${registry.url}/v2/kit/gone/manifests/${image.manifestDigest}`, { method: "HEAD" });
      expect(head.status).toBe(404);
    });

    it("removes its temp dirs on stop", async () => {
      const other = await startDockerRegistry();
      await other.stop();
      await expect(fetch(`${other.url}/v2/`)).rejects.toThrow();
      expect(existsSync(other.dataDir)).toBe(false);
    });
  });

  it("keeps a given dir across restarts, and serves it read-only when asked", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hs-registry-kept-"));
    try {
      const first = await startDockerRegistry({ dir });
      try {
        await pushImage(first.url, "kit/kept", "v1", image);
      } finally {
        await first.stop();
      }
      const second = await startDockerRegistry({ dir, readOnly: true });
      try {
        expect(second.dataDir).toBe(dir);
        const head = await fetch(`${second.url}/v2/kit/kept/manifests/v1`, {
          method: "HEAD",
          headers: { accept: image.mediaType },
        });
        expect(head.status).toBe(200);
        const upload = await fetch(`${second.url}/v2/kit/kept/blobs/uploads/`, { method: "POST" });
        expect(upload.status).toBe(405);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("serves HTTPS with the given certificate: a client that trusts it is answered, one that does not is refused", async () => {
    const tls = await selfSignedLoopback();
    const registry = await startDockerRegistry({ tls });
    try {
      expect(registry.url).toBe(`https://127.0.0.1:${registry.port}`);
      const status = (ca?: string) =>
        new Promise<number>((resolve, reject) =>
          httpsGet(`${registry.url}/v2/`, { ca }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on("error", reject),
        );
      expect(await status(tls.cert)).toBe(200);
      await expect(status()).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    } finally {
      await registry.stop();
    }
  });
});
