// Makes cosign signatures in exactly cosign's registry wire format (shared/specs/cosign-signature-format.md),
// without cosign: a simple-signing payload blob, an OCI image manifest whose one layer is that
// payload with the base64 signature in `dev.cosignproject.cosign/signature`, pushed under the
// `sha256-<hex>.sig` tag (tag-based discovery) and/or as an OCI 1.1 referrer whose `subject` is
// the signed image (what cosign 2.x stores with the OCI 1.1 experimental mode). ECDSA P-256
// (SHA-256, DER) and Ed25519 keys, as cosign signs with.
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import type { PushAuth } from "./images.js";

export type SigningKeyKind = "ecdsa-p256" | "ed25519";

export interface SigningKey {
  kind: SigningKeyKind;
  privateKey: KeyObject;
  /** PEM PKIX `PUBLIC KEY`, as `cosign public-key` prints it. */
  publicKeyPem: string;
}

export function generateSigningKey(kind: SigningKeyKind): SigningKey {
  const pair =
    kind === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return {
    kind,
    privateKey: pair.privateKey,
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export interface CosignSignatureSpec {
  /** The manifest digest the payload binds to (normally the signed image's). */
  signedDigest: string;
  key: SigningKey;
  /** `critical.identity.docker-reference` (cosign ignores it when verifying). */
  dockerReference?: string;
  /** Bytes to store as the payload instead of the signed ones (a tampered payload). */
  storedPayload?: Buffer;
  /** For a referrer: the signed image's descriptor, set as `subject`. */
  subject?: { mediaType: string; digest: string; size: number };
}

export interface Blob {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export interface CosignSignature {
  payload: Blob;
  config: Blob;
  /** The signature manifest (OCI image manifest). */
  manifest: Blob;
  /** base64 of the signature over the signed payload bytes. */
  signature: string;
}

const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
const COSIGN_SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json";

const blob = (bytes: Buffer, mediaType: string): Blob => ({
  bytes,
  mediaType,
  digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
});
const descriptor = (b: Blob, annotations?: Record<string, string>) => ({
  mediaType: b.mediaType,
  digest: b.digest,
  size: b.bytes.length,
  ...(annotations ? { annotations } : {}),
});

/** The simple-signing claim cosign signs. */
export function simpleSigningPayload(signedDigest: string, dockerReference = "registry.example/app"): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": dockerReference },
        image: { "docker-manifest-digest": signedDigest },
        type: "cosign container image signature",
      },
      optional: null,
    }),
  );
}

/** Signs bytes as cosign does with this key's scheme; base64. */
export function signPayload(key: SigningKey, payload: Buffer): string {
  const signature =
    key.kind === "ed25519"
      ? sign(null, payload, key.privateKey)
      : sign("sha256", payload, { key: key.privateKey, dsaEncoding: "der" });
  return signature.toString("base64");
}

export function makeCosignSignature(spec: CosignSignatureSpec): CosignSignature {
  const signed = simpleSigningPayload(spec.signedDigest, spec.dockerReference);
  const signature = signPayload(spec.key, signed);
  const payload = blob(spec.storedPayload ?? signed, SIMPLE_SIGNING);
  // Tag-schema signatures carry cosign's image config; a referrer, the OCI 1.1 empty config.
  const config = spec.subject
    ? blob(Buffer.from("{}"), OCI_EMPTY)
    : blob(
        Buffer.from(
          JSON.stringify({
            architecture: "",
            config: {},
            created: "0001-01-01T00:00:00Z",
            history: [{ created: "0001-01-01T00:00:00Z" }],
            os: "",
            rootfs: { type: "layers", diff_ids: [payload.digest] },
          }),
        ),
        OCI_CONFIG,
      );
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(spec.subject ? { artifactType: COSIGN_SIG_ARTIFACT } : {}),
    config: descriptor(config),
    layers: [descriptor(payload, { "dev.cosignproject.cosign/signature": signature })],
    ...(spec.subject ? { subject: spec.subject } : {}),
  };
  return { payload, config, manifest: blob(Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST), signature };
}

/** `sha256:<hex>` → `sha256-<hex>.sig` (cosign's tag for the image's signatures). */
export function signatureTag(digest: string, suffix: "sig" | "att" | "sbom" = "sig"): string {
  return `${digest.replace(":", "-")}.${suffix}`;
}

export interface PushSignatureOptions {
  /** `tag`: the `.sig` tag (the default); `referrer`: by digest with a subject; `both`. */
  as?: "tag" | "referrer" | "both";
  /** The signed image's manifest, needed for a referrer's subject descriptor. */
  subject?: { mediaType: string; digest: string; size: number };
  auth?: PushAuth;
}

/** Signs `spec.signedDigest` and pushes the signature into `repository`; returns what was pushed. */
export async function pushCosignSignature(
  registryUrl: string,
  repository: string,
  spec: Omit<CosignSignatureSpec, "subject">,
  options: PushSignatureOptions = {},
): Promise<CosignSignature[]> {
  const as = options.as ?? "tag";
  const pushed: CosignSignature[] = [];
  if (as !== "referrer") {
    const sig = makeCosignSignature(spec);
    await pushSignatureObjects(registryUrl, repository, sig, signatureTag(spec.signedDigest), options.auth);
    pushed.push(sig);
  }
  if (as !== "tag") {
    if (!options.subject) throw new Error("a referrer signature needs the signed image's descriptor (subject)");
    const sig = makeCosignSignature({ ...spec, subject: options.subject });
    await pushSignatureObjects(registryUrl, repository, sig, sig.manifest.digest, options.auth);
    pushed.push(sig);
  }
  return pushed;
}

async function pushSignatureObjects(
  registryUrl: string,
  repository: string,
  sig: CosignSignature,
  reference: string,
  auth?: PushAuth,
): Promise<void> {
  const headers: Record<string, string> = auth
    ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` }
    : {};
  for (const b of [sig.config, sig.payload]) {
    const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: "POST", headers });
    if (start.status !== 202)
      throw new Error(`start upload of ${b.digest}: HTTP ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get("location") ?? "", registryUrl);
    location.searchParams.set("digest", b.digest);
    const put = await fetch(location, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/octet-stream" },
      body: b.bytes,
    });
    if (put.status !== 201) throw new Error(`upload ${b.digest}: HTTP ${put.status} ${await put.text()}`);
  }
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    headers: { ...headers, "content-type": sig.manifest.mediaType },
    body: sig.manifest.bytes,
  });
  if (res.status !== 201) throw new Error(`push ${repository}:${reference}: HTTP ${res.status} ${await res.text()}`);
}
