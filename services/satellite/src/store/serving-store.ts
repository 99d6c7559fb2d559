// What the registry server needs from the store beyond the ContentStore contract the
// replication engine writes through: per-repository blob links (uploads, mounts, deletes),
// paged listings, referrers, resumable upload writers, and housekeeping. Kept as an extension
// so fakes of ContentStore elsewhere stay valid.
import type { Descriptor, DigestAlgorithm } from "@harbor-satellite/oci";
import type { ResumableBlobWriter } from "./blob-writer.js";
import type { BlobInfo, ContentStore } from "./content-store.js";
import type { VerifyReport } from "./verify.js";

export interface StoreManifestOptions {
  /** Tags to point at the manifest (the URL's tag, or `?tag=` values on a push by digest). */
  tags?: string[];
  /** Algorithm of the manifest's digest; sha256 unless the client pushed by a sha512 digest. */
  algorithm?: DigestAlgorithm;
}

export interface StoredManifestResult {
  digest: string;
  mediaType: string;
  /** The `subject` digest, when the manifest has one (answered as `OCI-Subject`). */
  subject?: string;
}

/** One page of a sorted listing; `next` is the `last` value that fetches the following page. */
export interface Page {
  items: string[];
  next?: string;
}

export interface PageRequest {
  n?: number;
  last?: string;
}

export type UnlinkResult = "unlinked" | "unknown" | "referenced";

export interface GcOptions {
  /**
   * How long an unclaimed upload, blob or untagged manifest is spared (a push still under way).
   * Default: the store's `gcGraceMs`.
   */
  graceMs?: number;
}

export interface ScrubOptions {
  /** Pause between full passes. */
  intervalMs: number;
  /** Read rate while hashing, so serving keeps the disk. */
  bytesPerSecond: number;
}

export interface ServingStore extends ContentStore {
  createBlobWriter(options?: { algorithm?: DigestAlgorithm }): Promise<ResumableBlobWriter>;
  /** putManifest with several tags, a chosen digest algorithm, and the subject reported back. */
  storeManifest(
    repository: string,
    bytes: Buffer,
    contentType: string,
    options?: StoreManifestOptions,
  ): Promise<StoredManifestResult>;
  /** True when the repository holds any manifest or blob. */
  hasRepository(repository: string): boolean;
  /** A blob the repository holds (through a manifest, an upload or a mount). */
  statRepositoryBlob(repository: string, digest: string): Promise<BlobInfo | undefined>;
  /** Makes a stored blob part of a repository (after an upload, or a mount). Undefined when absent. */
  linkBlob(repository: string, digest: string): Promise<BlobInfo | undefined>;
  /** Takes a blob out of a repository; refused while a manifest there references it. */
  unlinkBlob(repository: string, digest: string): Promise<UnlinkResult>;
  /** Tags after `last`, at most `n`; undefined when the repository is unknown. */
  pageTags(repository: string, page?: PageRequest): Page | undefined;
  pageRepositories(page?: PageRequest): Page;
  /** Descriptors of the manifests in `repository` whose subject is `subject`. */
  referrers(repository: string, subject: string, artifactType?: string): Descriptor[];
  collectGarbage(options?: GcOptions): Promise<{ removedBlobs: number; freedBytes: number; removedManifests?: number }>;
  /** Re-hashes every blob and checks every reference (see verify.ts). */
  verify(): Promise<VerifyReport>;
  startScrub(options: ScrubOptions): void;
  /** Stops the scrub, waits for writes in flight, releases the data dir. */
  close(): Promise<void>;
}
