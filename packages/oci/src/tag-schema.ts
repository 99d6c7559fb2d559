// Tags that name another manifest by its digest: the OCI referrers tag schema (`sha256-<hex>`,
// an index of the manifest's referrers, for registries without the referrers API) and cosign's
// tags beside it (`sha256-<hex>.sig` signatures, `.att` attestations, `.sbom` SBOMs). The one
// place that converts between a digest and these tags.

/** Cosign's tag suffixes: signatures, attestations, SBOMs. */
export const COSIGN_TAG_SUFFIXES = ["sig", "att", "sbom"] as const;
export type CosignTagSuffix = (typeof COSIGN_TAG_SUFFIXES)[number];

/** `sha256:<hex>` → `sha256-<hex>`, the tag-schema tag of a digest. */
export function tagSchemaTag(digest: string): string {
  return digest.replace(":", "-");
}

/** `sha256:<hex>` → `sha256-<hex>.sig` (or `.att`, `.sbom`). */
export function cosignTag(digest: string, suffix: CosignTagSuffix = "sig"): string {
  return `${tagSchemaTag(digest)}.${suffix}`;
}

const TAG_SCHEMA_TAG = new RegExp(`^sha256-([0-9a-f]{64})(?:\\.(?:${COSIGN_TAG_SUFFIXES.join("|")}))?$`);

/** The digest a tag-schema or cosign tag names, or undefined for any other tag. */
export function tagSchemaSubject(tag: string): string | undefined {
  const match = TAG_SCHEMA_TAG.exec(tag);
  return match ? `sha256:${match[1]}` : undefined;
}
