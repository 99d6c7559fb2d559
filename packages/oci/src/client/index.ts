// Public surface of the registry client (`@harbor-satellite/oci` re-exports it).
export { createRegistryClient } from "./registry-client.js";
export type {
  RegistryClient,
  RegistryClientOptions,
  Manifest,
  ManifestHead,
  GetManifestOptions,
} from "./registry-client.js";
export type { BlobContent, PushBlobOptions, PushedBlob } from "./blob-upload.js";
export type { BlobDownloadOptions } from "./blob-download.js";
export { RegistryError, RegistryNetworkError, ContentDigestError, redactUrl } from "./registry-error.js";
export { registryFailureFields } from "./failure-fields.js";
export type { FailureFields } from "./failure-fields.js";
export { createRetryPolicy, isRetryableStatus, isRetryableNetworkError, parseRetryAfter } from "./retry.js";
export type { RetryOptions, RetryPolicy } from "./retry.js";
export { parseChallenges, repositoryScope } from "./token-auth.js";
export type { Credentials, AuthSnapshot, Challenge } from "./token-auth.js";
export type { TlsOptions, TransportOptions } from "./http-transport.js";
