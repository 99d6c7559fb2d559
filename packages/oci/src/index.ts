// Public surface of @harbor-satellite/oci.
export { parseDigest, isDigest, digestOf, createDigester, InvalidDigestError } from "./digest.js";
export type { DigestAlgorithm, ParsedDigest, Digester } from "./digest.js";
export {
  MediaType,
  MANIFEST_ACCEPT,
  INDEX_MEDIA_TYPES,
  IMAGE_MANIFEST_MEDIA_TYPES,
  isIndexMediaType,
  isManifestMediaType,
  EMPTY_JSON_DIGEST,
} from "./media-types.js";
export { parseManifest, referencedDescriptors, ManifestInvalidError, MAX_MANIFEST_BYTES } from "./manifest.js";
export type { Descriptor, ImageManifest, ImageIndex, ParsedManifest, Platform } from "./manifest.js";
export {
  isRepositoryName,
  isTag,
  isManifestReference,
  parseImageReference,
  formatImageReference,
  InvalidReferenceError,
  REPOSITORY_PATTERN,
  TAG_PATTERN,
  MAX_REPOSITORY_LENGTH,
} from "./reference.js";
export type { ImageReference } from "./reference.js";
export { OciError, OciErrorTable, parseOciErrorBody } from "./errors.js";
export { COSIGN_TAG_SUFFIXES, cosignTag, tagSchemaSubject, tagSchemaTag } from "./tag-schema.js";
export type { CosignTagSuffix } from "./tag-schema.js";
export type { OciErrorCode } from "./errors.js";
export { VerifyingStream, DigestMismatchError, SizeMismatchError } from "./verify-stream.js";
export type { VerifyOptions } from "./verify-stream.js";
// Registry client: auth, retries, resumable blob GET, push.
export * from "./client/index.js";
