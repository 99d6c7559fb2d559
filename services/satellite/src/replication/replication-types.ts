// The replication engine's contract: what a pass is asked (upstream, images, owned set) and what
// it answers (a summary with one result per image), and the options an engine is built with.
import type { Credentials, RetryOptions } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { ContentStore } from "../store/content-store.js";
import type { DesiredImage, OwnedImage } from "./desired-image.js";
import type { BeforeFetch } from "./fetch-plan.js";
import type { PlatformFilter } from "./platform.js";
import type { ImageReplicationError } from "./replication-error.js";
import type { ReplicationTarget } from "./replication-target.js";
import type { SyncGate } from "./sync-gate.js";

export interface UpstreamOptions {
  /** Registry root URL; `http://` is used as plain HTTP. */
  url: string;
  credentials?: Credentials;
  /**
   * Connections of the main thread's registry client to this upstream, and its concurrent manifest
   * requests (default 8). A layer copy in a worker thread holds one connection of its own (per
   * origin, while it runs), so layer connections are bounded by the copies at once
   * (`blobConcurrency`).
   */
  maxConnections?: number;
  /** Extra CA certificates (PEM) to trust for this upstream, e.g. a private Harbor CA. */
  ca?: string;
  insecureSkipVerify?: boolean;
  retry?: RetryOptions;
}

export interface ReplicationRequest {
  upstream: UpstreamOptions;
  images: readonly DesiredImage[];
  /** Images earlier passes stored (persisted by the caller); those no longer desired are untagged. */
  owned?: readonly OwnedImage[];
  platform?: PlatformFilter;
  signal?: AbortSignal;
  /**
   * The images are known damaged locally (a moved or missing tag, a missing blob): no up-to-date
   * shortcut, every manifest of the tree walked (read from the store when intact, else fetched),
   * every blob checked. Passes with nothing damaged never set it.
   */
  repair?: boolean;
  /**
   * The quota's check (fetch-plan.ts): called once every image has resolved its manifests and
   * before any layer byte is fetched, with the bytes the pass still needs; a returned reason
   * fails the images that need bytes with it.
   */
  beforeFetch?: BeforeFetch;
}

export interface ImageResult {
  image: string;
  status: "copied" | "unchanged" | "untagged" | "failed";
  /** Digest the local tag points at after the pass (absent when failed or untagged). */
  digest?: string;
  blobsCopied: number;
  blobsSkipped: number;
  error?: ImageReplicationError;
}

export interface ReplicationSummary {
  /** Bytes fetched from upstream (blobs and manifests). */
  bytes: number;
  /** Distinct blobs copied into the store, and found already there. */
  blobsCopied: number;
  blobsSkipped: number;
  seconds: number;
  /** HTTP requests sent to the upstream, worker threads and token requests included. */
  requests: number;
  images: ImageResult[];
  failed: ImageResult[];
  /** The owned set to persist for the next pass. */
  owned: OwnedImage[];
}

export interface ReplicationEngineOptions {
  store: ContentStore;
  /** Where images go (default: `store`); a bring-your-own registry's target writes there instead. */
  target?: ReplicationTarget;
  logger: Logger;
  /** Worker threads for layer copies (default: cores). */
  workerThreads?: number;
  copiesPerThread?: number;
  /** Layers up to this size are copied on the main thread, not a worker thread (default 32 MiB). */
  onThreadMaxBytes?: number;
  /** Images resolved at once (default 8). */
  imageConcurrency?: number;
  /** Blobs copied at once per upstream (default: the pool's capacity). */
  blobConcurrency?: number;
  /** Blobs up to this size skip the pool (default 256 KiB). */
  inlineMaxBytes?: number;
  progressIntervalMs?: number;
  /** Sync windows and the bandwidth cap for every layer fetch (none: always open, uncapped). */
  gate?: SyncGate;
  /** How long after asking for a digest's referrers it is not asked again (default 10 minutes; repair always asks). */
  referrersRecheckMs?: number;
}

export interface ReplicationEngine {
  replicate(request: ReplicationRequest): Promise<ReplicationSummary>;
  /**
   * Drops kept partial files (paused layer copies) of digests no pass since the last call asked
   * for, provided none of those passes failed other than by a closed sync window (a failure may
   * have hidden an image's layers). The state pass calls it after a changed state's passes.
   */
  prunePartials(): Promise<void>;
  /** Stops the worker threads and closes upstream connections. */
  close(): Promise<void>;
}
