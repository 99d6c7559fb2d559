// Makes sure one blob is in the replication target (the store, or a bring-your-own registry),
// fetching it from upstream only when the target lacks it (a registry target may mount it from
// another of its repositories instead). Big blobs go through the worker pool (socket → hash →
// temp file → fsync there; the target takes the file here); small ones (configs, tiny layers) are
// cheaper to copy on this thread than to hand over. The same digest is never copied twice at
// once, and copies per upstream are bounded.
import { RegistryError, SizeMismatchError, type Descriptor, type RegistryClient } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import { failureType } from "../telemetry/replication-metrics.js";
import { inSpan, markFailed } from "../telemetry/spans.js";
import type { ReplicationTarget } from "./replication-target.js";
import { createInflight } from "./inflight.js";
import type { Limiter } from "./limiter.js";
import type { Progress } from "./progress.js";
import type { BlobWorkerPool } from "./worker-pool.js";

export type BlobOutcome = "copied" | "skipped";

export interface BlobCopierOptions {
  target: ReplicationTarget;
  client: RegistryClient;
  /** Connection settings a worker uses for the upstream. */
  upstream: {
    maxSockets: number;
    ca?: string;
    insecureSkipVerify?: boolean;
    attempts?: number;
    baseDelayMs?: number;
    maxDelayMs?: number;
  };
  pool: BlobWorkerPool;
  /** Bounds concurrent copies from this upstream. */
  limiter: Limiter;
  progress: Progress;
  logger: Logger;
  /** Blobs up to this size are copied on the main thread (default 1 MiB). */
  inlineMaxBytes?: number;
  /** Repair: look at each blob file on disk (size included), past the store's cache. */
  recheck?: boolean;
}

export interface BlobCopier {
  /** Ensures `blob` (from `repository` upstream) is in the target's `repository`. */
  ensure(repository: string, blob: Descriptor, signal?: AbortSignal): Promise<BlobOutcome>;
  /** Distinct digests copied and found present during this copier's life. */
  stats(): { copied: number; skipped: number };
}

export function createBlobCopier(options: BlobCopierOptions): BlobCopier {
  const { target, client, pool, limiter, progress } = options;
  const inlineMax = options.inlineMaxBytes ?? 1 << 20;
  const inflight = createInflight<BlobOutcome>();
  const copied = new Set<string>();
  const skipped = new Set<string>();

  const copyInline = async (repository: string, blob: Descriptor, signal?: AbortSignal) => {
    const writer = await target.createBlobWriter(repository);
    try {
      // The writer hashes as it writes and commit() checks digest and size, so no second hash here.
      for await (const chunk of client.getBlob(repository, blob.digest, {
        size: blob.size,
        verify: false,
        signal,
      }) as AsyncIterable<Buffer>) {
        if (writer.written + chunk.length > blob.size)
          throw new SizeMismatchError(blob.size, writer.written + chunk.length);
        progress.received(chunk.length);
        await writer.write(chunk);
      }
      await writer.commit({ digest: blob.digest, size: blob.size });
    } finally {
      await writer.abort();
    }
  };

  const copyInWorker = async (repository: string, blob: Descriptor, signal?: AbortSignal) => {
    const temp = await target.createTempFile(repository);
    try {
      const task = {
        ...options.upstream,
        url: client.blobUrl(repository, blob.digest),
        digest: blob.digest,
        size: blob.size,
        path: temp.path,
        counters: progress.counters,
      };
      // The worker gets the header the main thread holds; a token that expired in between earns
      // one retry with a fresh one.
      for (let refresh = false; ; refresh = true) {
        const authorization = await client.authorizationFor(repository, ["pull"], { refresh, signal });
        try {
          await pool.fetch({ ...task, authorization }, signal);
          break;
        } catch (error) {
          if (refresh || !(error instanceof RegistryError && error.status === 401)) throw error;
        }
      }
      await temp.commitVerified(blob.digest, blob.size);
    } catch (error) {
      await temp.abort();
      throw error;
    }
  };

  // One `satellite.blob.copy` span per blob (observability/spans.md), on this thread around the
  // whole copy, the worker's share included: never per chunk.
  const copy = (repository: string, blob: Descriptor, signal?: AbortSignal): Promise<BlobOutcome> =>
    inSpan(
      "satellite.blob.copy",
      { "satellite.blob.digest": blob.digest, "satellite.blob.bytes": blob.size },
      async (span) => {
        try {
          const outcome = await copyOnce(repository, blob, signal);
          span.setAttribute("satellite.blob.outcome", outcome);
          return outcome;
        } catch (error) {
          span.setAttribute("satellite.blob.outcome", "failed");
          markFailed(span, failureType(error), error);
          throw error;
        }
      },
    );

  const copyOnce = async (repository: string, blob: Descriptor, signal?: AbortSignal): Promise<BlobOutcome> => {
    const presence = await target.blobPresence(repository, blob, options.recheck === true, signal);
    if (presence !== "absent") {
      skipped.add(blob.digest);
      if (presence === "mounted") options.logger.debug({ digest: blob.digest, repository }, "blob mounted");
      return "skipped";
    }
    progress.expect(blob.size);
    const started = performance.now();
    await limiter.run(() =>
      blob.size <= inlineMax ? copyInline(repository, blob, signal) : copyInWorker(repository, blob, signal),
    );
    copied.add(blob.digest);
    if (blob.size > inlineMax) {
      const seconds = (performance.now() - started) / 1000;
      options.logger.debug({ digest: blob.digest, bytes: blob.size, seconds, repository }, "blob copied");
    }
    return "copied";
  };

  return {
    async ensure(repository, blob, signal) {
      const shared = inflight.run(blob.digest, () => copy(repository, blob, signal));
      const outcome = await shared.promise;
      // A registry target holds blobs per repository: a copy shared with another repository put
      // the blob there, and this one mounts it from there (or copies it after all).
      return shared.joined && target.perRepository ? copy(repository, blob, signal) : outcome;
    },
    stats: () => ({ copied: copied.size, skipped: skipped.size }),
  };
}
