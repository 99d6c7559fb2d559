// Makes sure one blob is in the replication target (the store, or a bring-your-own registry),
// fetching it from upstream only when the target lacks it (a registry target may mount it from
// another of its repositories instead). Layers go through the copy module (socket → hash → temp
// file → fsync in preallocated buffers; the target takes the file here), on this thread or a
// worker thread by size (worker-pool.ts); configs and tiny blobs through the registry client,
// whose HTTP chunks and garbage cost nothing at that size. The same digest is never copied twice
// at once, and copies per upstream are bounded.
import {
  DigestMismatchError,
  RegistryError,
  SizeMismatchError,
  type Descriptor,
  type RegistryClient,
} from "@harbor-satellite/oci";
import type { Logger } from "pino";
import { failureType } from "../telemetry/replication-metrics.js";
import { inSpan, markFailed } from "../telemetry/spans.js";
import type { ReplicationTarget } from "./replication-target.js";
import { createInflight } from "./inflight.js";
import type { Limiter } from "./limiter.js";
import type { Progress } from "./progress.js";
import { SyncWindowClosedError, type PausedCopy, type SyncGate } from "./sync-gate.js";
import type { BlobWorkerPool } from "./worker-pool.js";
import type { FetchBlobTask } from "./worker-protocol.js";

export type BlobOutcome = "copied" | "skipped";

export interface BlobCopierOptions {
  target: ReplicationTarget;
  client: RegistryClient;
  /** Connection settings a worker uses for the upstream. */
  upstream: Pick<FetchBlobTask, "ca" | "insecureSkipVerify" | "attempts" | "baseDelayMs" | "maxDelayMs">;
  pool: BlobWorkerPool;
  /** Bounds concurrent copies from this upstream. */
  limiter: Limiter;
  progress: Progress;
  logger: Logger;
  /** Blobs up to this size are copied on the main thread (default 256 KiB). */
  inlineMaxBytes?: number;
  /** Repair: look at each blob file on disk (size included), past the store's cache. */
  recheck?: boolean;
  /** Sync windows and bandwidth cap (none: always open, uncapped). */
  gate?: SyncGate;
  /** Copies a closing window paused, by digest: continued (Range) by the next copy of that digest. */
  paused?: Map<string, PausedCopy>;
  /** Every digest ensure() was asked for is added here (the engine prunes kept partials nobody asks for). */
  asked?: Set<string>;
}

export interface BlobCopier {
  /** Ensures `blob` (from `repository` upstream) is in the target's `repository`. */
  ensure(repository: string, blob: Descriptor, signal?: AbortSignal): Promise<BlobOutcome>;
  /** Distinct digests copied and found present during this copier's life. */
  stats(): { copied: number; skipped: number };
  /** An image's blobs are known: start the copy threads now if one of them will need a thread. */
  warm(blobs: readonly Descriptor[]): void;
}

export function createBlobCopier(options: BlobCopierOptions): BlobCopier {
  const { target, client, pool, limiter, progress } = options;
  const inlineMax = options.inlineMaxBytes ?? 256 << 10;
  const gate = options.gate;
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
        const wait = gate?.take(chunk.length) ?? 0;
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await writer.commit({ digest: blob.digest, size: blob.size });
    } finally {
      await writer.abort();
    }
  };

  /** The paused copy of `blob` to continue, if one is kept and could be the blob's start. */
  const takePaused = async (blob: Descriptor): Promise<PausedCopy | undefined> => {
    const paused = options.paused?.get(blob.digest);
    options.paused?.delete(blob.digest);
    // A file as long as the blob (or longer) is no prefix to continue: fetch it again.
    if (paused && (paused.bytes <= 0 || paused.bytes >= blob.size)) {
      await paused.temp.abort();
      return undefined;
    }
    return paused;
  };

  const copyInWorker = async (
    repository: string,
    blob: Descriptor,
    signal?: AbortSignal,
    fromStart = false,
  ): Promise<void> => {
    const paused = fromStart ? undefined : await takePaused(blob);
    const temp = paused?.temp ?? (await target.createTempFile(repository));
    try {
      const task = {
        ...options.upstream,
        url: client.blobUrl(repository, blob.digest),
        digest: blob.digest,
        size: blob.size,
        path: temp.path,
        counters: progress.counters,
        gate: gate?.buffer,
        resumeFrom: paused?.bytes,
      };
      // The worker gets the header the main thread holds; a token that expired in between earns
      // one retry with a fresh one.
      let result;
      for (let refresh = false; ; refresh = true) {
        const authorization = await client.authorizationFor(repository, ["pull"], { refresh, signal });
        try {
          result = await pool.fetch({ ...task, authorization }, signal);
          break;
        } catch (error) {
          if (refresh || !(error instanceof RegistryError && error.status === 401)) throw error;
        }
      }
      if (result.pausedAt !== undefined) {
        // Kept for the next window, which asks only for the bytes after these (one Range request);
        // on disk under the blob's digest when the target can, so a restart keeps it too.
        const kept = target.keepPartial ? await target.keepPartial(temp, blob.digest) : temp;
        options.paused?.set(blob.digest, { temp: kept, bytes: result.pausedAt, durable: kept !== temp });
        options.logger.info(
          { digest: blob.digest, bytes: result.pausedAt, size: blob.size, repository },
          "blob copy paused: the sync window closed",
        );
        throw gate?.closedError() ?? new SyncWindowClosedError(undefined);
      }
      await temp.commitVerified(blob.digest, blob.size);
    } catch (error) {
      if (options.paused?.get(blob.digest)?.temp.path !== temp.path) await temp.abort();
      if (paused && error instanceof DigestMismatchError) {
        // The kept prefix was not the blob's (a torn write, a disk fault): it is gone; start over.
        options.logger.warn(
          { digest: blob.digest, kept: paused.bytes, repository },
          "a paused copy's kept bytes did not verify: fetching the blob from the start",
        );
        return copyInWorker(repository, blob, signal, true);
      }
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
    gate?.assertOpen();
    progress.expect(blob.size);
    const started = performance.now();
    await limiter.run(() => {
      // A copy may wait for the limiter past the window's end.
      gate?.assertOpen();
      return blob.size <= inlineMax ? copyInline(repository, blob, signal) : copyInWorker(repository, blob, signal);
    });
    copied.add(blob.digest);
    if (blob.size > inlineMax) {
      const seconds = (performance.now() - started) / 1000;
      options.logger.debug({ digest: blob.digest, bytes: blob.size, seconds, repository }, "blob copied");
    }
    return "copied";
  };

  return {
    async ensure(repository, blob, signal) {
      options.asked?.add(blob.digest);
      const shared = inflight.run(blob.digest, () => copy(repository, blob, signal));
      const outcome = await shared.promise;
      // A registry target holds blobs per repository: a copy shared with another repository put
      // the blob there, and this one mounts it from there (or copies it after all).
      return shared.joined && target.perRepository ? copy(repository, blob, signal) : outcome;
    },
    stats: () => ({ copied: copied.size, skipped: skipped.size }),
    warm(blobs) {
      if (blobs.some((b) => b.size > inlineMax && pool.onWorkerThread(b.size))) void pool.warm().catch(() => undefined);
    },
  };
}
