// The `require_signature` policy: with it on, the local registry serves a runnable image's
// manifest only when a cosign signature stored beside it (the `sha256-<hex>.sig` tag or an OCI
// 1.1 referrer) verifies with a trusted key and names that manifest's digest; otherwise GET/HEAD
// answer DENIED with the reason, and the heartbeat lists the image with the same reason. Only
// what a runtime could run is gated: signatures, attestations, SBOMs (manifests with a subject or
// without a filesystem layer) are always served, so verifiers can fetch them. A child manifest of
// an index is served when a verified index in the repository lists it (cosign signs the index).
// Everything is read from the store: the verdict follows whatever replication or a push left.
import {
  OciError,
  cosignTag,
  isDigest,
  parseManifest,
  type ImageManifest,
  type ParsedManifest,
} from "@harbor-satellite/oci";
import type { KeyObject } from "node:crypto";
import type { Logger } from "pino";
import type { StoredManifest } from "../store/content-store.js";
import type { ServingStore } from "../store/serving-store.js";
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  TrustedKeyError,
  checkSignature,
  parseTrustedKey,
  type SignatureRefusal,
} from "./cosign-signature.js";

export interface SignaturePolicySettings {
  requireSignature: boolean;
  /** PEM public keys (ECDSA P-256 or Ed25519). */
  trustedKeys: readonly string[];
}

export type Verdict =
  { ok: true } | { ok: false; reason: SignatureRefusal["reason"] | "unsigned" | "no-trusted-key"; message: string };

export interface SignaturePolicy {
  /** Applies the config's settings (keys parsed once; an unreadable key is logged and left out). */
  configure(settings: SignaturePolicySettings): void;
  readonly enabled: boolean;
  /** The manifest gate: throws OciError DENIED when the policy refuses to serve this manifest. */
  checkServe(repository: string, reference: string, manifest: StoredManifest): Promise<void>;
  /** The image's verdict (cached while it verifies). */
  verdict(repository: string, digest: string): Promise<Verdict>;
  /** Every tagged runnable image the policy refuses, for the heartbeat (`reason`: the code its message names). */
  refusals(): Promise<{ reference: string; reason: string; message: string }[]>;
}

type PolicyStore = Pick<ServingStore, "getManifest" | "referrers" | "openBlob" | "listTags" | "listRepositories">;

/** A payload is a few hundred bytes; a larger "signature" is not worth reading. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Refusals are re-evaluated after this long: a signature may have been replicated since. */
const REFUSAL_TTL_MS = 2_000;

export function createSignaturePolicy(options: { store: PolicyStore; logger: Logger }): SignaturePolicy {
  const { store, logger } = options;
  let required = false;
  let keys: KeyObject[] = [];
  let keyErrors: string[] = [];
  /** `repo@digest` → verdict, and when a refusal was reached. Cleared when the keys change. */
  let cache = new Map<string, { verdict: Verdict; at: number }>();

  const verdict = async (repository: string, digest: string): Promise<Verdict> => {
    const key = `${repository}@${digest}`;
    const cached = cache.get(key);
    if (cached && (cached.verdict.ok || Date.now() - cached.at < REFUSAL_TTL_MS)) return cached.verdict;
    const fresh = await evaluate(repository, digest);
    if (cache.size > 10_000) cache = new Map();
    cache.set(key, { verdict: fresh, at: Date.now() });
    return fresh;
  };

  const evaluate = async (repository: string, digest: string): Promise<Verdict> => {
    if (keys.length === 0)
      return {
        ok: false,
        reason: "no-trusted-key",
        message: `no usable trusted key${keyErrors.length ? ` (${keyErrors.join("; ")})` : ""}`,
      };
    const refusals: Verdict[] = [];
    for (const signature of await signatureManifests(store, repository, digest)) {
      for (const layer of signature.layers) {
        const annotation = layer.annotations?.[SIGNATURE_ANNOTATION];
        if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || annotation === undefined) continue;
        const payload = await readSmallBlob(store, layer.digest, layer.size);
        if (!payload) continue;
        const check = checkSignature({ payloadDigest: layer.digest, payload, signature: annotation }, digest, keys);
        if (check.ok) return { ok: true };
        refusals.push({ ok: false, reason: check.reason, message: check.message });
      }
    }
    // The most telling refusal: a signature for another digest says more than a bad one.
    const order = ["digest-mismatch", "payload-invalid", "signature-invalid", "payload-digest-mismatch"];
    refusals.sort((a, b) => order.indexOf(reasonOf(a)) - order.indexOf(reasonOf(b)));
    return refusals[0] ?? { ok: false, reason: "unsigned", message: "no cosign signature found" };
  };

  /** A digest-addressed child of a verified index in the repository (found through its tags). */
  const parentVerified = async (repository: string, digest: string): Promise<boolean> => {
    for (const tag of await store.listTags(repository)) {
      const parent = await store.getManifest(repository, tag);
      if (!parent || parent.digest === digest) continue;
      const parsed = tryParse(parent);
      if (parsed?.kind !== "index" || !parsed.manifest.manifests.some((d) => d.digest === digest)) continue;
      if ((await verdict(repository, parent.digest)).ok) return true;
    }
    return false;
  };

  return {
    get enabled() {
      return required;
    },
    configure(settings) {
      const parsed: KeyObject[] = [];
      const errors: string[] = [];
      settings.trustedKeys.forEach((pem, index) => {
        try {
          parsed.push(parseTrustedKey(pem, index));
        } catch (error) {
          if (!(error instanceof TrustedKeyError)) throw error;
          errors.push(error.message);
          logger.error({ key: index, reason: error.message }, "trusted key ignored");
        }
      });
      const changed =
        required !== settings.requireSignature ||
        keys.length !== parsed.length ||
        keyErrors.length !== errors.length ||
        parsed.some((k, i) => !k.equals(keys[i]));
      required = settings.requireSignature;
      keys = parsed;
      keyErrors = errors;
      if (changed) {
        cache = new Map();
        logger.info({ require_signature: required, trusted_keys: keys.length }, "signature policy applied");
      }
    },
    async checkServe(repository, reference, manifest) {
      if (!required) return;
      const parsed = tryParse(manifest);
      if (parsed && !isRunnable(parsed)) return;
      const result = await verdict(repository, manifest.digest);
      if (result.ok) return;
      if (isDigest(reference) && (await parentVerified(repository, manifest.digest))) return;
      throw new OciError("DENIED", `signature required: ${result.message}`, {
        name: repository,
        reference,
        reason: result.reason,
      });
    },
    verdict,
    async refusals() {
      if (!required) return [];
      const out: { reference: string; reason: string; message: string }[] = [];
      for (const repository of await store.listRepositories()) {
        for (const tag of await store.listTags(repository)) {
          const manifest = await store.getManifest(repository, tag);
          const parsed = manifest && tryParse(manifest);
          if (!manifest || (parsed && !isRunnable(parsed))) continue;
          const result = await verdict(repository, manifest.digest);
          if (!result.ok)
            out.push({
              reference: `${repository}:${tag}`,
              reason: result.reason,
              message: `not served: signature required (${result.reason}): ${result.message}`,
            });
        }
      }
      return out;
    },
  };
}

/** The signature manifests stored for `digest`: cosign's `.sig` tag and its referrers. */
async function signatureManifests(store: PolicyStore, repository: string, digest: string): Promise<ImageManifest[]> {
  const found: StoredManifest[] = [];
  const tagged = await store.getManifest(repository, cosignTag(digest));
  if (tagged) found.push(tagged);
  for (const referrer of store.referrers(repository, digest)) {
    if (referrer.artifactType !== undefined && referrer.artifactType !== COSIGN_SIGNATURE_ARTIFACT_TYPE) continue;
    const stored = await store.getManifest(repository, referrer.digest);
    if (stored && stored.digest !== tagged?.digest) found.push(stored);
  }
  return found.flatMap((m) => {
    const parsed = tryParse(m);
    return parsed?.kind === "manifest" ? [parsed.manifest] : [];
  });
}

async function readSmallBlob(store: PolicyStore, digest: string, size: number): Promise<Buffer | undefined> {
  if (size > MAX_PAYLOAD_BYTES) return undefined;
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of await store.openBlob(digest)) {
      total += (chunk as Buffer).length;
      if (total > MAX_PAYLOAD_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  } catch {
    return undefined; // not replicated (yet): this layer vouches for nothing
  }
}

/** An index, or an image manifest with at least one filesystem layer: something a runtime runs. */
function isRunnable(parsed: ParsedManifest): boolean {
  if (parsed.kind === "index") return parsed.manifest.subject === undefined;
  if (parsed.manifest.subject !== undefined) return false;
  return parsed.manifest.layers.some((l) => l.mediaType.includes(".tar"));
}

function tryParse(manifest: StoredManifest): ParsedManifest | undefined {
  try {
    return parseManifest(manifest.bytes, manifest.mediaType);
  } catch {
    return undefined;
  }
}

function reasonOf(v: Verdict): string {
  return v.ok ? "" : v.reason;
}
