// The contract between the content store (what the local registry serves) and its writers (the
// registry's upload handlers and the replication engine). Replication writes into the store
// directly, never through HTTP to itself.
//
// Invariants every implementation keeps:
// - A blob is visible only after its bytes were hashed while written, matched the expected digest
//   (and size), were fsynced, and were renamed into place. No partial blob is ever visible.
// - A kill -9 at any instant leaves a store that verifies; `open` removes leftovers.
// - Serving never re-hashes: reads go straight from the blob file.
import type { Readable } from "node:stream";

export interface BlobInfo {
  digest: string;
  size: number;
}

export type BlobCheck = "ok" | "missing" | "corrupt";

export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** A byte range of a blob, both ends inclusive (as in HTTP Range). */
export interface ByteRange {
  start: number;
  end: number;
}

/** An in-progress blob write. */
export interface BlobWriter {
  /** Bytes written so far. */
  readonly written: number;
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Verifies digest (and size when given), fsyncs and renames into place. Throws
   * DigestMismatchError / SizeMismatchError (from @harbor-satellite/oci) and removes the temp file.
   */
  commit(expected: { digest: string; size?: number }): Promise<BlobInfo>;
  /** Drops the temp file. Safe to call after commit or twice. */
  abort(): Promise<void>;
}

/** A temp file inside the store, for a worker thread that streams, hashes and fsyncs by itself. */
export interface TempFile {
  /** A fresh name in the store's ingest/: whoever fills it creates the file. */
  path: string;
  /**
   * Moves the file into place as `digest`; the caller has verified and fsynced it. The rename is
   * durable once a manifest is stored after it (storeManifest fsyncs the blobs' folder first).
   */
  commitVerified(digest: string, size: number): Promise<BlobInfo>;
  abort(): Promise<void>;
}

/** A layer copy a closing sync window paused, kept on disk across restarts (partial-blobs.ts). */
export interface KeptPartial {
  digest: string;
  /** Bytes of the blob the file holds (its size): a resume asks for the rest. */
  bytes: number;
  /** Resume into this file; commitVerified() stores it once the whole blob hashed right. */
  temp: TempFile;
}

export interface ContentStore {
  /** Root folder of the store (`--data-dir`). */
  readonly root: string;

  /** Stat a blob by digest without reading it; undefined when absent. */
  statBlob(digest: string): Promise<BlobInfo | undefined>;
  /** Absolute path of a stored blob, for zero-copy serving; undefined when absent. */
  blobPath(digest: string): Promise<string | undefined>;
  /** Reads a stored blob, or a range of it. Throws when absent. */
  openBlob(digest: string, range?: ByteRange): Promise<Readable>;
  /** Starts a verified blob write. */
  createBlobWriter(): Promise<BlobWriter>;
  /** Allocates a temp file on the blobs' filesystem (see TempFile). */
  createTempFile(): Promise<TempFile>;
  /**
   * Keeps a paused copy's temp file (fsynced by its writer) under its digest's name, so a
   * restart does not remove it; returns the file to resume into. Absent: pauses live in memory.
   */
  keepPartial?(temp: TempFile, digest: string): Promise<TempFile>;
  /** The partial files kept so far (start-up recovery kept them). */
  keptPartials?(): Promise<KeptPartial[]>;

  /**
   * Stores manifest bytes exactly as given, in `repository`, optionally under a tag. Checks that
   * every blob or child manifest it references is present (MANIFEST_BLOB_UNKNOWN otherwise).
   * Returns its digest.
   */
  putManifest(repository: string, bytes: Buffer, mediaType: string, tag?: string): Promise<string>;
  /** A manifest by tag or digest; undefined when absent. */
  getManifest(repository: string, reference: string): Promise<StoredManifest | undefined>;
  /** Deletes a manifest by digest (and the tags pointing at it), or just a tag. */
  deleteManifest(repository: string, reference: string): Promise<boolean>;
  /** Tags in a repository, sorted lexically. */
  listTags(repository: string): Promise<string[]>;
  /** Repositories with at least one manifest, sorted lexically. */
  listRepositories(): Promise<string[]>;

  /**
   * Looks at a blob (or manifest) file on disk again, past any cache: "ok"; "missing" (forgotten,
   * so the next write puts it back); or "corrupt" when its size is not `size` (moved to
   * quarantine, then missing). A cheap check for every pass; re-hashing is the scrub's job.
   */
  recheckBlob(digest: string, size?: number): Promise<BlobCheck>;

  /** Removes blobs and manifests no tag, manifest, index or referrer reaches. */
  collectGarbage(): Promise<{ removedBlobs: number; freedBytes: number }>;
  /** Bytes and blob count on disk. */
  usage(): Promise<{ bytes: number; blobs: number }>;
}
