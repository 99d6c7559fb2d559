// Cosign's tag-schema artifacts as referrers: a signature replicated from an upstream without a
// referrers API arrives as the `sha256-<hex>.sig` tag (`.att` attestations, `.sbom` SBOMs), a
// manifest with no `subject`, so the store's referrers index does not know it. The referrers
// API lists them too, each with cosign's artifact type, so a client that only speaks OCI 1.1
// finds what a tag-schema client finds.
import { COSIGN_TAG_SUFFIXES, cosignTag, type CosignTagSuffix, type Descriptor } from "@harbor-satellite/oci";
import type { ServingStore } from "../store/serving-store.js";

/** The artifact type a cosign tag's manifest is listed with (cosign's own names for them). */
export const COSIGN_ARTIFACT_TYPES: Readonly<Record<CosignTagSuffix, string>> = {
  sig: "application/vnd.dev.cosign.artifact.sig.v1+json",
  att: "application/vnd.dev.cosign.artifact.att.v1+json",
  sbom: "application/vnd.dev.cosign.artifact.sbom.v1+json",
};

/** Descriptors of the cosign tags for `subject` in `repository`, filtered like the API's `artifactType`. */
export async function tagSchemaReferrers(
  store: Pick<ServingStore, "getManifest">,
  repository: string,
  subject: string,
  artifactType?: string,
): Promise<Descriptor[]> {
  const found: Descriptor[] = [];
  for (const suffix of COSIGN_TAG_SUFFIXES) {
    const type = COSIGN_ARTIFACT_TYPES[suffix];
    if (artifactType !== undefined && artifactType !== type) continue;
    const manifest = await store.getManifest(repository, cosignTag(subject, suffix));
    if (manifest)
      found.push({
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.bytes.length,
        artifactType: type,
      });
  }
  return found;
}
