// Referrers replicated by the real engine into a real store, from both kinds of upstream: the
// satellite's own registry (it implements the OCI 1.1 referrers API) and docker-registry 2.8
// (no referrers API: 404, so the tag schema — cosign's `.sig`/`.sbom` tags and the OCI
// `sha256-<hex>` index). The signatures are made by testkit's cosign signer.
import { rm } from "node:fs/promises";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildImage, makeBlobDir, pushImage, type SyntheticImage } from "@harbor-satellite/testkit";
import {
  generateSigningKey,
  makeCosignSignature,
  pushCosignSignature,
  signatureTag,
} from "@harbor-satellite/testkit/cosign-signer";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startGateProxy } from "@harbor-satellite/testkit/gate-proxy";
import { startTestRegistry, type TestRegistry } from "../registry/test-server.js";
import type { FsContentStore } from "../store/fs-content-store.js";
import { openTempStore } from "../store/test-helpers.js";
import { createReplicationEngine, type ReplicationEngine } from "./replication-engine.js";

const key = generateSigningKey("ecdsa-p256");
const SBOM_TYPE = "application/spdx+json";

describe("referrers replication", () => {
  let blobs: string;
  let local: { store: FsContentStore; cleanup: () => Promise<void> };
  let engine: ReplicationEngine;
  const descriptor = (image: SyntheticImage) => ({
    mediaType: image.mediaType,
    digest: image.manifestDigest,
    size: image.manifest.length,
  });

  beforeAll(async () => {
    blobs = await makeBlobDir();
  });
  afterAll(async () => {
    await rm(blobs, { recursive: true, force: true });
  });
  afterEach(async () => {
    await engine?.close();
    await local?.cleanup();
  });

  const openLocal = async (referrersRecheckMs?: number) => {
    local = await openTempStore();
    engine = createReplicationEngine({
      store: local.store,
      logger: pino({ level: "silent" }),
      workerThreads: 1,
      referrersRecheckMs,
    });
  };

  /** An SBOM as an OCI 1.1 artifact referring to the image (notation and oras push such things). */
  const pushSbomReferrer = async (url: string, repository: string, image: SyntheticImage) => {
    const sig = makeCosignSignature({ signedDigest: image.manifestDigest, key, subject: descriptor(image) });
    const manifest = JSON.parse(sig.manifest.bytes.toString()) as Record<string, unknown>;
    manifest.artifactType = SBOM_TYPE;
    const bytes = Buffer.from(JSON.stringify(manifest));
    for (const b of [sig.config, sig.payload]) {
      const start = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: "POST" });
      const location = new URL(start.headers.get("location")!, url);
      location.searchParams.set("digest", b.digest);
      expect((await fetch(location, { method: "PUT", body: b.bytes })).status).toBe(201);
    }
    const put = await fetch(`${url}/v2/${repository}/manifests/sbom`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      body: bytes,
    });
    expect(put.status).toBe(201);
    return put.headers.get("docker-content-digest")!;
  };

  describe("from an upstream with the referrers API", () => {
    let upstream: TestRegistry;
    beforeAll(async () => {
      upstream = await startTestRegistry();
    });
    afterAll(async () => {
      await upstream?.stop();
    });

    it("copies every referrer with its blobs, listed by the local referrers index, and cosign's .sig tag", async () => {
      await openLocal();
      const image = await buildImage({ layerSizes: [1024], dir: blobs, labels: { case: "api" } });
      await pushImage(upstream.url, "apps/web", "v1", image);
      const [asReferrer] = await pushCosignSignature(
        upstream.url,
        "apps/web",
        { signedDigest: image.manifestDigest, key },
        { as: "both", subject: descriptor(image) },
      ).then((pushed) => pushed.slice(1));
      const sbom = await pushSbomReferrer(upstream.url, "apps/web", image);

      const summary = await engine.replicate({
        upstream: { url: upstream.url },
        images: [{ repository: "apps/web", tag: "v1" }],
      });
      expect(summary.failed).toEqual([]);
      const referrers = local.store.referrers("apps/web", image.manifestDigest).map((d) => d.digest);
      expect(referrers.sort()).toEqual([asReferrer.manifest.digest, sbom].sort());
      expect(local.store.referrers("apps/web", image.manifestDigest, SBOM_TYPE).map((d) => d.digest)).toEqual([sbom]);
      const tagged = await local.store.getManifest("apps/web", signatureTag(image.manifestDigest));
      expect(
        tagged?.bytes.equals((await upstream.store.getManifest("apps/web", signatureTag(image.manifestDigest)))!.bytes),
      ).toBe(true);
      for (const digest of [asReferrer.payload.digest, asReferrer.config.digest])
        expect(await local.store.statBlob(digest)).toBeDefined();
    });

    it("an unchanged image asks again only after the recheck interval (none here): a late signature arrives", async () => {
      await openLocal(0);
      const image = await buildImage({ layerSizes: [1024], dir: blobs, labels: { case: "late" } });
      await pushImage(upstream.url, "apps/late", "v1", image);
      const request = { upstream: { url: upstream.url }, images: [{ repository: "apps/late", tag: "v1" }] };
      await engine.replicate(request);
      expect(local.store.referrers("apps/late", image.manifestDigest)).toEqual([]);

      const [sig] = await pushCosignSignature(
        upstream.url,
        "apps/late",
        { signedDigest: image.manifestDigest, key },
        { as: "referrer", subject: descriptor(image) },
      );
      const second = await engine.replicate(request);
      expect(second.images[0].status).toBe("unchanged");
      expect(local.store.referrers("apps/late", image.manifestDigest).map((d) => d.digest)).toEqual([
        sig.manifest.digest,
      ]);
    });

    it("within the recheck interval an unchanged image costs its one manifest HEAD, nothing for referrers", async () => {
      await openLocal();
      const image = await buildImage({ layerSizes: [1024], dir: blobs, labels: { case: "quiet" } });
      await pushImage(upstream.url, "apps/quiet", "v1", image);
      const request = { upstream: { url: upstream.url }, images: [{ repository: "apps/quiet", tag: "v1" }] };
      const first = await engine.replicate(request);
      expect(first.images[0].status).toBe("copied");
      const second = await engine.replicate(request);
      expect(second.images[0].status).toBe("unchanged");
      expect(second.requests).toBe(1);
    });
  });

  describe("from docker-registry 2.8 (no referrers API: the tag schema)", () => {
    let upstream: DockerRegistry;
    beforeAll(async () => {
      upstream = await startDockerRegistry();
    });
    afterAll(async () => {
      await upstream?.stop();
    });

    it("copies cosign's .sig and .sbom tags and the referrers the OCI tag-schema index lists", async () => {
      await openLocal();
      const image = await buildImage({ layerSizes: [1024], dir: blobs, labels: { case: "fallback" } });
      await pushImage(upstream.url, "apps/api", "v1", image);
      const [sig] = await pushCosignSignature(upstream.url, "apps/api", { signedDigest: image.manifestDigest, key });
      // An SBOM under cosign's .sbom tag, and a referrer only the OCI tag-schema index lists.
      const sbomTag = signatureTag(image.manifestDigest, "sbom");
      const tagged = await fetch(`${upstream.url}/v2/apps/api/manifests/${signatureTag(image.manifestDigest)}`, {
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      const sigBytes = Buffer.from(await tagged.arrayBuffer());
      await fetch(`${upstream.url}/v2/apps/api/manifests/${sbomTag}`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
        body: sigBytes,
      });
      const referrer = await pushSbomReferrer(upstream.url, "apps/api", image);
      const referrerSize = Number(
        (await fetch(`${upstream.url}/v2/apps/api/manifests/${referrer}`, { method: "HEAD" })).headers.get(
          "content-length",
        ),
      );
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.index.v1+json",
          manifests: [
            {
              mediaType: "application/vnd.oci.image.manifest.v1+json",
              digest: referrer,
              size: referrerSize,
              artifactType: SBOM_TYPE,
            },
          ],
        }),
      );
      const put = await fetch(`${upstream.url}/v2/apps/api/manifests/${image.manifestDigest.replace(":", "-")}`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
        body: index,
      });
      expect(put.status).toBe(201);

      const summary = await engine.replicate({
        upstream: { url: upstream.url },
        images: [{ repository: "apps/api", tag: "v1" }],
      });
      expect(summary.failed).toEqual([]);
      expect((await local.store.getManifest("apps/api", signatureTag(image.manifestDigest)))?.digest).toBe(
        sig.manifest.digest,
      );
      expect((await local.store.getManifest("apps/api", sbomTag))?.digest).toBe(sig.manifest.digest);
      expect(local.store.referrers("apps/api", image.manifestDigest).map((d) => d.digest)).toEqual([referrer]);
      expect(await local.store.statBlob(sig.payload.digest)).toBeDefined();
    });

    it("looks the referrers up while the image's layer is still copying, and stores them after it", async () => {
      await openLocal();
      const image = await buildImage({ layerSizes: [600_000], dir: blobs, labels: { case: "early" } });
      await pushImage(upstream.url, "apps/early", "v1", image);
      const [sig] = await pushCosignSignature(upstream.url, "apps/early", { signedDigest: image.manifestDigest, key });
      // The layer's answer is held until the .sig lookup has come in (or 10 s pass): with the
      // lookups after the copy, it would be held the whole 10 s.
      const layerPath = `/v2/apps/early/blobs/${image.layers[0].digest}`;
      const proxy = await startGateProxy(upstream.port, {
        holds: (path) => path === layerPath,
        opensOn: (path) => path.endsWith(`/manifests/${signatureTag(image.manifestDigest)}`),
      });
      const timeout = setTimeout(() => proxy.release(), 10_000);
      try {
        const summary = await engine.replicate({
          upstream: { url: proxy.url },
          images: [{ repository: "apps/early", tag: "v1" }],
        });
        expect(summary.failed).toEqual([]);
        expect(await proxy.opened).toBe("request");
        expect((await local.store.getManifest("apps/early", signatureTag(image.manifestDigest)))?.digest).toBe(
          sig.manifest.digest,
        );
      } finally {
        clearTimeout(timeout);
        await proxy.stop();
      }
    });
  });
});
