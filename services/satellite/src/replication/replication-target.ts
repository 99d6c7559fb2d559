// Where a replication pass writes: the satellite's own content store (storeTarget, below), or a
// bring-your-own registry reached over the OCI distribution API (registry-target.ts). The engine,
// the blob copier and the owned-image audit talk to this interface only, so none of them knows
// which one it writes into.
import type { Descriptor } from "@harbor-satellite/oci";
import type {
  BlobCheck,
  BlobWriter,
  ContentStore,
  KeptPartial,
  StoredManifest,
  TempFile,
} from "../store/content-store.js";

/** `mounted`: a registry target linked the blob from another of its repositories (no bytes moved). */
export type BlobPresence = "present" | "mounted" | "absent";

export interface ReplicationTarget {
  /** For logs and errors: "the local store", or the registry's URL (never credentials). */
  readonly description: string;
  /**
   * Whether a blob is held per repository (a registry: a layer in one repository must be mounted
   * or pushed into another) rather than once for all (the store).
   */
  readonly perRepository: boolean;
  /** Throws TargetUnavailableError when the target cannot be written now (checked once per pass). */
  ready(repository: string, signal?: AbortSignal): Promise<void>;
  /** The digest a tag points at; undefined when the tag is absent. */
  tagDigest(repository: string, tag: string, signal?: AbortSignal): Promise<string | undefined>;
  /** A manifest by tag or digest with its exact bytes; undefined when absent. */
  getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<StoredManifest | undefined>;
  /** Stores the exact bytes (under `tag` too when given); returns the digest. */
  putManifest(
    repository: string,
    bytes: Buffer,
    mediaType: string,
    tag?: string,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Removes a tag (not the manifest other tags may share); false when nothing was removed. */
  untag(repository: string, tag: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Whether `repository` can serve `blob` now; a registry target mounts it from another of its
   * repositories when it knows one holding it. `recheck` looks past any cache (repair).
   */
  blobPresence(repository: string, blob: Descriptor, recheck: boolean, signal?: AbortSignal): Promise<BlobPresence>;
  /** The audit's look at a blob (size included when given). */
  recheckBlob(digest: string, size: number | undefined, repository: string): Promise<BlobCheck>;
  /** The audit's look at a manifest's own bytes (getManifest by digest has already read them). */
  recheckManifest(repository: string, digest: string, size: number | undefined): Promise<BlobCheck>;
  /** A writer for a small blob, hashed as written; commit() verifies and stores it. */
  createBlobWriter(repository: string): Promise<BlobWriter>;
  /** A temp file a layer copy fills (and verifies); commitVerified() stores it. */
  createTempFile(repository: string): Promise<TempFile>;
  /** Keeps a paused copy's file across restarts (the store's keepPartial); absent: in memory only. */
  keepPartial?(temp: TempFile, digest: string): Promise<TempFile>;
  /** Paused copies kept on disk, to resume (read once per engine). */
  keptPartials?(): Promise<KeptPartial[]>;
}

/** The target could not be reached or refused us; every image of the pass fails with it. */
export class TargetUnavailableError extends Error {
  constructor(
    readonly target: string,
    cause: unknown,
  ) {
    super(`${target} cannot be written: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "TargetUnavailableError";
  }
}

/** The satellite's own content store as a target: what replication always did. */
export function storeTarget(store: ContentStore): ReplicationTarget {
  return {
    description: "the local store",
    perRepository: false,
    ready: async () => {},
    tagDigest: async (repository, tag) => (await store.getManifest(repository, tag))?.digest,
    getManifest: (repository, reference) => store.getManifest(repository, reference),
    putManifest: (repository, bytes, mediaType, tag) => store.putManifest(repository, bytes, mediaType, tag),
    untag: (repository, tag) => store.deleteManifest(repository, tag),
    async blobPresence(_repository, blob, recheck) {
      const held = recheck
        ? (await store.recheckBlob(blob.digest, blob.size)) === "ok"
        : (await store.statBlob(blob.digest)) !== undefined;
      return held ? "present" : "absent";
    },
    recheckBlob: (digest, size) => store.recheckBlob(digest, size),
    // The store keeps a manifest's bytes as a blob file: the same check.
    recheckManifest: (_repository, digest, size) => store.recheckBlob(digest, size),
    createBlobWriter: () => store.createBlobWriter(),
    createTempFile: () => store.createTempFile(),
    // Paused layer copies survive a restart when the store can keep them (FsContentStore does);
    // asked at call time, as the store may be a stand-in filled later (tests).
    keepPartial: async (temp, digest) => (store.keepPartial ? store.keepPartial(temp, digest) : temp),
    keptPartials: async () => (await store.keptPartials?.()) ?? [],
  };
}
