// The satellite's content store. Writers (the replication engine, the registry's upload
// handlers) code against ContentStore; the registry server against its ServingStore extension.
export type {
  ContentStore,
  BlobWriter,
  TempFile,
  BlobInfo,
  BlobCheck,
  StoredManifest,
  ByteRange,
} from "./content-store.js";
export type {
  ServingStore,
  StoreManifestOptions,
  StoredManifestResult,
  Page,
  PageRequest,
  UnlinkResult,
  GcOptions,
  ScrubOptions,
} from "./serving-store.js";
export type { ResumableBlobWriter, WriterCheckpoint } from "./blob-writer.js";
export { openContentStore, DEFAULT_GC_GRACE_MS, DEFAULT_MANIFEST_CACHE_BYTES } from "./open-store.js";
export type { OpenStoreOptions } from "./open-store.js";
export { FsContentStore } from "./fs-content-store.js";
export { DataDirLockedError } from "./data-dir-lock.js";
export { verifyStore } from "./verify.js";
export type { VerifyReport } from "./verify.js";
export { storePaths, REF_NAME_ANNOTATION, REPOSITORY_ANNOTATION } from "./paths.js";
