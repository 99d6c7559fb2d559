// Checks one cosign signature in its registry wire format (shared/specs/cosign-signature-format.md):
// a simple-signing payload blob, the signature (base64, in the layer's
// `dev.cosignproject.cosign/signature` annotation) over the payload's exact bytes, and the
// payload's `critical.image.docker-manifest-digest` naming the image. Keys are PEM PKIX public
// keys: ECDSA P-256 (SHA-256, ASN.1 DER signature) or Ed25519 — the scheme is the key's, as in
// cosign. Each refusal has its own reason so the heartbeat can tell a forgery from a stale
// signature or a key the satellite does not trust.
import { createHash, verify, type KeyObject } from "node:crypto";
// The key reader alone: the package's index also loads the config schema's validator (ajv).
import { readTrustedKey, trustedKeyMessage } from "@harbor-satellite/satellite-config/trusted-key";

export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";
/** What cosign 2.x sets as `artifactType` on a signature it stores as an OCI 1.1 referrer. */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";

/** Why a signature did not vouch for the image; `reason` is the stable code the heartbeat and logs carry. */
export type SignatureRefusal =
  | { reason: "payload-digest-mismatch"; message: string }
  | { reason: "signature-invalid"; message: string }
  | { reason: "payload-invalid"; message: string }
  | { reason: "digest-mismatch"; message: string };

export type SignatureCheck = { ok: true; keyIndex: number } | ({ ok: false } & SignatureRefusal);

export class TrustedKeyError extends Error {
  constructor(
    readonly index: number,
    reason: string,
  ) {
    super(`trusted key ${index}: ${reason}`);
    this.name = "TrustedKeyError";
  }
}

/**
 * Parses a PEM public key and checks it is a scheme this verifier knows (P-256 or Ed25519), with
 * the config contract's reader: the schema refuses exactly the keys refused here, in the same words.
 */
export function parseTrustedKey(pem: string, index: number): KeyObject {
  const reading = readTrustedKey(pem);
  if (!reading.ok) throw new TrustedKeyError(index, trustedKeyMessage(reading.reason));
  return reading.key;
}

export interface SignatureLayer {
  /** The layer descriptor's digest: what the payload bytes must hash to. */
  payloadDigest: string;
  /** The payload blob's bytes as stored. */
  payload: Buffer;
  /** The annotation's value (base64). */
  signature: string;
}

/**
 * Checks one signature layer for `imageDigest` against the trusted keys, in the spec's order:
 * payload bytes match their descriptor, a trusted key verifies the signature over them, the
 * payload is a cosign simple-signing claim, and it names this image.
 */
export function checkSignature(layer: SignatureLayer, imageDigest: string, keys: readonly KeyObject[]): SignatureCheck {
  const [algorithm, expectedHex] = splitDigest(layer.payloadDigest);
  if (algorithm !== "sha256" || createHash("sha256").update(layer.payload).digest("hex") !== expectedHex)
    return refuse("payload-digest-mismatch", `payload does not match its digest ${layer.payloadDigest}`);
  const signature = Buffer.from(layer.signature, "base64");
  const keyIndex = keys.findIndex((key) => verifies(key, layer.payload, signature));
  if (keyIndex < 0) return refuse("signature-invalid", "signature does not verify with any trusted key");
  const named = signedDigest(layer.payload);
  if (typeof named !== "string") return refuse("payload-invalid", named.error);
  if (named !== imageDigest) return refuse("digest-mismatch", `signature is for ${named}, not ${imageDigest}`);
  return { ok: true, keyIndex };
}

function verifies(key: KeyObject, payload: Buffer, signature: Buffer): boolean {
  try {
    return key.asymmetricKeyType === "ed25519"
      ? verify(null, payload, key, signature)
      : verify("sha256", payload, { key, dsaEncoding: "der" }, signature);
  } catch {
    // A malformed DER signature throws rather than failing: it verifies nothing either way.
    return false;
  }
}

/** The digest the payload binds to, or why the payload is not a cosign simple-signing claim. */
function signedDigest(payload: Buffer): string | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch {
    return { error: "payload is not JSON" };
  }
  const critical = (parsed as { critical?: { type?: unknown; image?: { "docker-manifest-digest"?: unknown } } })
    ?.critical;
  if (critical?.type !== COSIGN_SIGNATURE_TYPE) return { error: `payload type is not "${COSIGN_SIGNATURE_TYPE}"` };
  const digest = critical.image?.["docker-manifest-digest"];
  return typeof digest === "string" ? digest : { error: "payload names no docker-manifest-digest" };
}

function splitDigest(digest: string): [string, string] {
  const colon = digest.indexOf(":");
  return colon < 0 ? ["", ""] : [digest.slice(0, colon), digest.slice(colon + 1)];
}

function refuse(reason: SignatureRefusal["reason"], message: string): SignatureCheck {
  return { ok: false, reason, message } as SignatureCheck;
}
