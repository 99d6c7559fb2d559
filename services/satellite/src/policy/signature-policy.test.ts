// The policy behind a real registry server over a real store: images and cosign signatures are
// pushed over HTTP (testkit's signer), then pulled; the referrers API lists tag-schema signatures.
import { rm } from "node:fs/promises";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildImage,
  buildIndex,
  makeBlobDir,
  pushImage,
  pushIndex,
  type SyntheticImage,
} from "@harbor-satellite/testkit";
import { generateSigningKey, pushCosignSignature, signatureTag } from "@harbor-satellite/testkit/cosign-signer";
import { startRegistryServer, type RegistryServer } from "../registry/server.js";
import { openTempStore } from "../store/test-helpers.js";
import type { FsContentStore } from "../store/fs-content-store.js";
import { createSignaturePolicy, type SignaturePolicy } from "./signature-policy.js";

const trusted = generateSigningKey("ecdsa-p256");
const trustedEd = generateSigningKey("ed25519");
const stranger = generateSigningKey("ecdsa-p256");

describe("signature policy behind the registry", () => {
  let dir: string;
  let store: FsContentStore;
  let cleanup: () => Promise<void>;
  let server: RegistryServer;
  let policy: SignaturePolicy;
  const images: Record<string, SyntheticImage> = {};

  const get = (repository: string, reference: string) =>
    fetch(`${server.url}/v2/${repository}/manifests/${reference}`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json" },
    });
  const descriptorOf = (image: { manifestDigest: string; manifest: Buffer; mediaType: string }) => ({
    mediaType: image.mediaType,
    digest: image.manifestDigest,
    size: image.manifest.length,
  });

  beforeAll(async () => {
    dir = await makeBlobDir();
    ({ store, cleanup } = await openTempStore());
    policy = createSignaturePolicy({ store, logger: pino({ level: "silent" }) });
    server = await startRegistryServer({
      store,
      host: "127.0.0.1",
      port: 0,
      manifestGate: (repository, reference, manifest) => policy.checkServe(repository, reference, manifest),
    });
    for (const name of ["signed", "ed", "unsigned", "stranger", "other", "referrer"]) {
      images[name] = await buildImage({ layerSizes: [512], dir, labels: { name } });
      await pushImage(server.url, `app/${name}`, "v1", images[name]);
    }
    await pushCosignSignature(server.url, "app/signed", { signedDigest: images.signed.manifestDigest, key: trusted });
    await pushCosignSignature(server.url, "app/ed", { signedDigest: images.ed.manifestDigest, key: trustedEd });
    await pushCosignSignature(server.url, "app/stranger", {
      signedDigest: images.stranger.manifestDigest,
      key: stranger,
    });
    // A valid signature of another image, stored under this image's .sig tag.
    await pushCosignSignature(server.url, "app/other", { signedDigest: images.signed.manifestDigest, key: trusted });
    const otherSig = await store.getManifest("app/other", signatureTag(images.signed.manifestDigest));
    await store.putManifest(
      "app/other",
      otherSig!.bytes,
      otherSig!.mediaType,
      signatureTag(images.other.manifestDigest),
    );
    await pushCosignSignature(
      server.url,
      "app/referrer",
      { signedDigest: images.referrer.manifestDigest, key: trustedEd },
      { as: "referrer", subject: descriptorOf(images.referrer) },
    );
  });

  afterAll(async () => {
    await server?.close();
    await cleanup?.();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves everything while require_signature is off", async () => {
    policy.configure({ requireSignature: false, trustedKeys: [] });
    for (const name of Object.keys(images)) expect((await get(`app/${name}`, "v1")).status).toBe(200);
  });

  it("serves images signed by a trusted key, by tag and digest, as a tag or a referrer", async () => {
    policy.configure({ requireSignature: true, trustedKeys: [trusted.publicKeyPem, trustedEd.publicKeyPem] });
    for (const name of ["signed", "ed", "referrer"]) {
      expect((await get(`app/${name}`, "v1")).status).toBe(200);
      expect((await get(`app/${name}`, images[name].manifestDigest)).status).toBe(200);
    }
  });

  it("answers DENIED with the reason for unsigned, untrusted and misbound images", async () => {
    policy.configure({ requireSignature: true, trustedKeys: [trusted.publicKeyPem, trustedEd.publicKeyPem] });
    const refused = async (name: string) => {
      const res = await get(`app/${name}`, "v1");
      expect(res.status).toBe(403);
      const body = (await res.json()) as { errors: { code: string; message: string; detail: { reason: string } }[] };
      expect(body.errors[0].code).toBe("DENIED");
      return body.errors[0];
    };
    expect((await refused("unsigned")).detail.reason).toBe("unsigned");
    expect((await refused("stranger")).detail.reason).toBe("signature-invalid");
    const other = await refused("other");
    expect(other.detail.reason).toBe("digest-mismatch");
    expect(other.message).toContain(`signature is for ${images.signed.manifestDigest}`);
    // HEAD is gated too (no body), and so is the digest form.
    expect((await fetch(`${server.url}/v2/app/unsigned/manifests/v1`, { method: "HEAD" })).status).toBe(403);
    expect((await get("app/unsigned", images.unsigned.manifestDigest)).status).toBe(403);
  });

  it("keeps serving the signatures themselves, so verifiers can read them", async () => {
    policy.configure({ requireSignature: true, trustedKeys: [trusted.publicKeyPem] });
    expect((await get("app/stranger", signatureTag(images.stranger.manifestDigest))).status).toBe(200);
  });

  it("lists the heartbeat's refusals per tagged runnable image", async () => {
    policy.configure({ requireSignature: true, trustedKeys: [trusted.publicKeyPem, trustedEd.publicKeyPem] });
    const refusals = await policy.refusals();
    expect(refusals.map((r) => r.reference).sort()).toEqual(["app/other:v1", "app/stranger:v1", "app/unsigned:v1"]);
    expect(refusals.find((r) => r.reference === "app/unsigned:v1")?.message).toMatch(
      /^not served: signature required \(unsigned\)/,
    );
  });

  it("refuses everything runnable when no trusted key is usable, and says so", async () => {
    policy.configure({
      requireSignature: true,
      trustedKeys: ["-----BEGIN PUBLIC KEY-----\nbroken\n-----END PUBLIC KEY-----\n"],
    });
    const res = await get("app/signed", "v1");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("trusted key 0: expected a PEM public key");
  });

  it("serves an index's children by digest when the index verifies, not otherwise", async () => {
    const platforms = [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64" },
    ];
    const signedIndex = await buildIndex(platforms, { layerSizes: [256], dir, labels: { index: "signed" } });
    const unsignedIndex = await buildIndex(platforms, { layerSizes: [256], dir, labels: { index: "unsigned" } });
    await pushIndex(server.url, "app/multi", "v1", signedIndex);
    await pushIndex(server.url, "app/multi", "v2", unsignedIndex);
    await pushCosignSignature(server.url, "app/multi", { signedDigest: signedIndex.manifestDigest, key: trusted });
    policy.configure({ requireSignature: true, trustedKeys: [trusted.publicKeyPem] });
    expect((await get("app/multi", "v1")).status).toBe(200);
    for (const child of signedIndex.images) expect((await get("app/multi", child.manifestDigest)).status).toBe(200);
    expect((await get("app/multi", "v2")).status).toBe(403);
    expect((await get("app/multi", unsignedIndex.images[1].manifestDigest)).status).toBe(403);
  });

  it("lists tag-schema signatures in the referrers API beside subject referrers", async () => {
    const list = async (name: string, query = "") =>
      (await (await fetch(`${server.url}/v2/app/${name}/referrers/${images[name].manifestDigest}${query}`)).json()) as {
        manifests: { digest: string; artifactType?: string }[];
      };
    const tagged = await store.getManifest("app/signed", signatureTag(images.signed.manifestDigest));
    expect((await list("signed")).manifests).toEqual([
      expect.objectContaining({
        digest: tagged!.digest,
        artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json",
      }),
    ]);
    expect((await list("signed", "?artifactType=application/spdx%2Bjson")).manifests).toEqual([]);
    expect((await list("referrer")).manifests).toEqual([
      expect.objectContaining({ artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json" }),
    ]);
  });
});
