import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  generateSigningKey,
  makeCosignSignature,
  signPayload,
  type SigningKeyKind,
} from "@harbor-satellite/testkit/cosign-signer";
import { checkSignature, parseTrustedKey, TrustedKeyError, type SignatureLayer } from "./cosign-signature.js";

const IMAGE = `sha256:${createHash("sha256").update("the signed image").digest("hex")}`;
const OTHER = `sha256:${createHash("sha256").update("another image").digest("hex")}`;

/** The layer as a verifier reads it from the signature manifest. */
function layerOf(sig: ReturnType<typeof makeCosignSignature>): SignatureLayer {
  const manifest = JSON.parse(sig.manifest.bytes.toString()) as {
    layers: { digest: string; annotations: Record<string, string> }[];
  };
  const [layer] = manifest.layers;
  return {
    payloadDigest: layer.digest,
    payload: sig.payload.bytes,
    signature: layer.annotations["dev.cosignproject.cosign/signature"],
  };
}

describe("checkSignature", () => {
  it.each<SigningKeyKind>(["ecdsa-p256", "ed25519"])("accepts a good %s signature naming the image", (kind) => {
    const key = generateSigningKey(kind);
    const other = generateSigningKey(kind === "ed25519" ? "ecdsa-p256" : "ed25519");
    const trusted = [parseTrustedKey(other.publicKeyPem, 0), parseTrustedKey(key.publicKeyPem, 1)];
    const result = checkSignature(layerOf(makeCosignSignature({ signedDigest: IMAGE, key })), IMAGE, trusted);
    expect(result).toEqual({ ok: true, keyIndex: 1 });
  });

  it("refuses payload bytes that are not the ones the manifest names (tampered in the store)", () => {
    const key = generateSigningKey("ecdsa-p256");
    const layer = layerOf(makeCosignSignature({ signedDigest: IMAGE, key }));
    const tampered = Buffer.from(layer.payload.toString().replace(IMAGE, OTHER));
    const result = checkSignature({ ...layer, payload: tampered }, OTHER, [parseTrustedKey(key.publicKeyPem, 0)]);
    expect(result).toMatchObject({ ok: false, reason: "payload-digest-mismatch" });
  });

  it("refuses a tampered payload stored under its own digest: the signature no longer verifies", () => {
    const key = generateSigningKey("ed25519");
    const forged = Buffer.from(makeCosignSignature({ signedDigest: OTHER, key }).payload.bytes);
    const sig = makeCosignSignature({ signedDigest: IMAGE, key, storedPayload: forged });
    const result = checkSignature(layerOf(sig), OTHER, [parseTrustedKey(key.publicKeyPem, 0)]);
    expect(result).toMatchObject({ ok: false, reason: "signature-invalid" });
  });

  it("refuses a good signature whose payload names another digest", () => {
    const key = generateSigningKey("ecdsa-p256");
    const result = checkSignature(layerOf(makeCosignSignature({ signedDigest: OTHER, key })), IMAGE, [
      parseTrustedKey(key.publicKeyPem, 0),
    ]);
    expect(result).toEqual({
      ok: false,
      reason: "digest-mismatch",
      message: `signature is for ${OTHER}, not ${IMAGE}`,
    });
  });

  it.each<SigningKeyKind>(["ecdsa-p256", "ed25519"])(
    "refuses a %s signature made with a key it does not trust",
    (kind) => {
      const signer = generateSigningKey(kind);
      const trusted = generateSigningKey(kind);
      const result = checkSignature(layerOf(makeCosignSignature({ signedDigest: IMAGE, key: signer })), IMAGE, [
        parseTrustedKey(trusted.publicKeyPem, 0),
      ]);
      expect(result).toEqual({
        ok: false,
        reason: "signature-invalid",
        message: "signature does not verify with any trusted key",
      });
    },
  );

  it("refuses a signed payload that is not a cosign claim", () => {
    const key = generateSigningKey("ed25519");
    const notCosign = Buffer.from(
      JSON.stringify({ critical: { type: "something else", image: { "docker-manifest-digest": IMAGE } } }),
    );
    const sig = makeCosignSignature({ signedDigest: IMAGE, key, storedPayload: notCosign });
    const layer = { ...layerOf(sig), signature: signPayload(key, notCosign) };
    expect(checkSignature(layer, IMAGE, [parseTrustedKey(key.publicKeyPem, 0)])).toMatchObject({
      ok: false,
      reason: "payload-invalid",
    });
  });

  it("refuses garbage in the signature annotation without throwing", () => {
    const key = generateSigningKey("ecdsa-p256");
    const layer = { ...layerOf(makeCosignSignature({ signedDigest: IMAGE, key })), signature: "bm90IGEgc2lnbmF0dXJl" };
    expect(checkSignature(layer, IMAGE, [parseTrustedKey(key.publicKeyPem, 0)])).toMatchObject({
      ok: false,
      reason: "signature-invalid",
    });
  });
});

describe("parseTrustedKey", () => {
  it("accepts P-256 and Ed25519 PEM public keys", () => {
    expect(parseTrustedKey(generateSigningKey("ecdsa-p256").publicKeyPem, 0).asymmetricKeyType).toBe("ec");
    expect(parseTrustedKey(generateSigningKey("ed25519").publicKeyPem, 0).asymmetricKeyType).toBe("ed25519");
  });

  it("refuses text that is no key, and keys of other schemes, naming the key", () => {
    expect(() => parseTrustedKey("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n", 2)).toThrow(
      new TrustedKeyError(
        2,
        "expected a PEM public key (-----BEGIN PUBLIC KEY-----) for ECDSA P-256 or Ed25519, got a PEM block that does not parse (check the line breaks and the END line)",
      ),
    );
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    expect(() => parseTrustedKey(p384.toString(), 0)).toThrow(/Ed25519, got an ECDSA key on secp384r1$/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" });
    expect(() => parseTrustedKey(rsa.toString(), 1)).toThrow(
      /^trusted key 1: expected a PEM public key .*, got an RSA key$/,
    );
  });
});
