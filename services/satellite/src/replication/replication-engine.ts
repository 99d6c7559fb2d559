// A replication pass: desired images in, a summary out. Images run concurrently and fail alone
// (each failure is an ImageReplicationError in the results, never an abort of the pass); layers
// stream through the worker pool; images no longer desired are untagged afterwards (the store's
// GC reclaims their blobs). Used by `satellite sync --once` and by the agent's scheduler.
import { createHash } from "node:crypto";
import { getMaxListeners, setMaxListeners } from "node:events";
import { createRegistryClient, redactUrl, registryFailureFields, type RegistryClient } from "@harbor-satellite/oci";
import { context, type Context } from "@opentelemetry/api";
import type { Logger } from "pino";
import { createBlobCopier } from "./copy-blob.js";
import { imageName, InvalidImageError, type DesiredImage, type OwnedImage } from "./desired-image.js";
import { replicateImage, type ImageContext } from "./image-replicator.js";
import { createFetchBarrier, FetchRefusedError } from "./fetch-plan.js";
import { createLimiter } from "./limiter.js";
import { formatPlatform } from "./platform.js";
import { mayUntag, nextOwned, planPass } from "./planner.js";
import { createProgress } from "./progress.js";
import { ImageReplicationError, PlatformNotFoundError } from "./replication-error.js";
import { storeTarget, TargetUnavailableError, type ReplicationTarget } from "./replication-target.js";
import { createReferrersSync, type ReferrersLookup, type ReferrersSync } from "./referrers-step.js";
import { createPausedCopies } from "./paused-copies.js";
import { createBlobWorkerPool, type BlobWorkerPool } from "./worker-pool.js";
import { failureType, recordReplicationPass } from "../telemetry/replication-metrics.js";
import { inSpan, markFailed } from "../telemetry/spans.js";
import type {
  ImageResult,
  ReplicationEngine,
  ReplicationEngineOptions,
  ReplicationRequest,
  ReplicationSummary,
  UpstreamOptions,
} from "./replication-types.js";

export type * from "./replication-types.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function createReplicationEngine(options: ReplicationEngineOptions): ReplicationEngine {
  const { store, logger } = options;
  const target = options.target ?? storeTarget(store);
  let pool: BlobWorkerPool | undefined;
  // Layer copies a closing sync window paused, continued by a later pass (kept across restarts by the store).
  const paused = createPausedCopies(target, logger);
  const clients = new Map<string, RegistryClient>();
  const referrers = createReferrersSync({ recheckMs: options.referrersRecheckMs });
  const clientFor = (upstream: UpstreamOptions) => {
    // Keyed by a hash of the secret too: refreshed robot credentials (same username) get a new
    // client, and the one holding the old secret is closed.
    const account = `${upstream.url}\n${upstream.credentials?.username ?? ""}\n`;
    const key = account + sha256(upstream.credentials?.password ?? "");
    let client = clients.get(key);
    if (!client) {
      for (const [stale, old] of clients) {
        if (!stale.startsWith(account)) continue;
        old.close();
        clients.delete(stale);
      }
      client = createRegistryClient({
        url: upstream.url,
        credentials: upstream.credentials,
        maxSockets: upstream.maxConnections,
        retry: upstream.retry,
        tls: { ca: upstream.ca, insecureSkipVerify: upstream.insecureSkipVerify },
      });
      clients.set(key, client);
    }
    return client;
  };

  const replicate = async (request: ReplicationRequest): Promise<ReplicationSummary> => {
    const started = performance.now();
    const upstreamUrl = redactUrl(request.upstream.url);
    const client = clientFor(request.upstream);
    const requestsBefore = client.requestCount;
    pool ??= createBlobWorkerPool({
      threads: options.workerThreads,
      copiesPerThread: options.copiesPerThread,
      onThreadMaxBytes: options.onThreadMaxBytes,
    });
    await paused.load();
    const progress = createProgress({ logger, intervalMs: options.progressIntervalMs });
    const { maxConnections = 8 } = request.upstream;
    // Each copy and request in flight listens on the pass's signal: with more than 10 at once
    // (`--workers 3` and up) Node would warn of a listener leak that is none.
    const listeners = pool.capacity + maxConnections + 16;
    if (request.signal && getMaxListeners(request.signal) < listeners) setMaxListeners(listeners, request.signal);
    const copier = createBlobCopier({
      target,
      client,
      pool,
      progress,
      logger,
      limiter: createLimiter(options.blobConcurrency ?? pool.capacity),
      inlineMaxBytes: options.inlineMaxBytes,
      recheck: request.repair,
      gate: options.gate,
      paused: paused.byDigest,
      asked: paused.asked,
      upstream: {
        ca: request.upstream.ca,
        insecureSkipVerify: request.upstream.insecureSkipVerify,
        attempts: request.upstream.retry?.attempts,
        baseDelayMs: request.upstream.retry?.baseDelayMs,
        maxDelayMs: request.upstream.retry?.maxDelayMs,
      },
    });
    const plan = planPass(request.images, request.owned ?? []);
    const ownedByName = new Map((request.owned ?? []).map((o) => [imageName(o), o]));
    const ctx = {
      target,
      store,
      client,
      copier,
      progress,
      requests: createLimiter(maxConnections),
      platform: request.platform,
      signal: request.signal,
      repair: request.repair,
    };
    logger.info(
      {
        upstream: upstreamUrl,
        images: plan.images.length,
        untag: plan.untag.length,
        platform: request.platform && formatPlatform(request.platform),
      },
      "replication pass started",
    );
    progress.start();

    const results: PassResult[] = plan.conflicts.map((name) =>
      failed(name, new Error("asked for twice with different digests")),
    );
    const unavailable = await targetProblem(target, plan, request.signal);
    if (unavailable) {
      // One line for the pass, not one request per image: every image waits for the next pass.
      logger.error({ target: target.description, reason: unavailable.message }, "replication target unavailable");
      results.push(...[...plan.images.map(imageName), ...plan.untag.map(imageName)].map((n) => failed(n, unavailable)));
    }
    // With a byte plan every image waits for the others at the barrier, so none may queue behind them.
    const barrier = request.beforeFetch
      ? createFetchBarrier(
          plan.images.map((_, i) => i),
          async (digest) => (await store.statBlob(digest)) !== undefined,
          request.beforeFetch,
        )
      : undefined;
    const images = createLimiter(barrier ? Math.max(1, plan.images.length) : (options.imageConcurrency ?? 8));
    const imageCtx = (i: number): ImageContext =>
      barrier ? { ...ctx, beforeCopy: (blobs) => barrier.arrive(i, blobs) } : ctx;
    // Each image's span is a child of the pass's, whichever image's end lets it start.
    const pass = context.active();
    const copied = unavailable
      ? []
      : await Promise.all(
          plan.images.map((image, i) =>
            images.run(() =>
              copyImage(image, ownedByName.get(imageName(image)), imageCtx(i), logger, pass, referrers).finally(() =>
                barrier?.leave(i),
              ),
            ),
          ),
        );
    results.push(...copied);
    progress.stop();
    const untagged = unavailable ? [] : await untagDropped(plan.untag, target, logger);
    results.push(...untagged);

    const failures = results.filter((r) => r.status === "failed");
    paused.passEnded(failures.map((f) => f.error?.cause));
    for (const f of failures) logImageFailure(logger, f.image, f.error?.cause);
    const succeeded = copied.flatMap((r) => (r.owned ? [r.owned] : []));
    const released = untagged.filter((r) => r.status === "untagged").map((r) => r.image);
    const stats = copier.stats();
    const summary: ReplicationSummary = {
      bytes: progress.bytes,
      blobsCopied: stats.copied,
      blobsSkipped: stats.skipped,
      seconds: (performance.now() - started) / 1000,
      requests: client.requestCount - requestsBefore + progress.workerRequests,
      images: results.map(({ image, status, digest, blobsCopied, blobsSkipped, error }) => ({
        image,
        status,
        digest,
        blobsCopied,
        blobsSkipped,
        error,
      })),
      failed: failures,
      owned: nextOwned(
        request.owned ?? [],
        succeeded,
        failures.map((f) => f.image),
        released,
      ),
    };
    logger.info(
      {
        bytes: summary.bytes,
        blobs_copied: summary.blobsCopied,
        blobs_skipped: summary.blobsSkipped,
        seconds: summary.seconds,
        requests: summary.requests,
        failed: failures.length,
      },
      "replication pass finished",
    );
    recordReplicationPass({
      ...summary,
      upstream: request.upstream.url,
      succeeded: results.length - failures.length,
      failures: failures.map((f) => f.error?.cause),
    });
    return summary;
  };

  return {
    replicate,
    prunePartials: () => paused.prune(),
    async close() {
      for (const client of clients.values()) client.close();
      clients.clear();
      await pool?.close();
      await paused.close();
      pool = undefined;
    },
  };
}

/** A result with the owned record a successful image leaves, for the next owned set. */
type PassResult = ImageResult & { owned?: OwnedImage };

/** One image, in a `satellite.image.replicate` span (observability/spans.md). */
async function copyImage(
  image: DesiredImage,
  owned: OwnedImage | undefined,
  ctx: ImageContext,
  logger: Logger,
  parent: Context,
  referrers: ReferrersSync,
): Promise<PassResult> {
  const name = imageName(image);
  const attributes = {
    "container.image.name": image.repository,
    "container.image.tags": [image.tag],
    ...(image.digest ? { "oci.manifest.digest": image.digest } : {}),
  };
  return inSpan(
    "satellite.image.replicate",
    attributes,
    async (span) => {
      // The referrers lookups start once the image's manifests are resolved (they run while its
      // blobs copy); an unchanged image resolves nothing and looks them up here.
      let lookup: ReferrersLookup | undefined;
      const onResolved = (digests: readonly string[]) =>
        void (lookup = referrers.lookUp(image.repository, digests, ctx));
      try {
        const outcome = await replicateImage(image, owned, { ...ctx, onResolved });
        lookup ??= referrers.lookUp(image.repository, [outcome.owned.digest, outcome.owned.sourceDigest], ctx);
        await referrers.store(lookup, ctx, logger);
        span.setAttributes({
          "satellite.image.outcome": outcome.status,
          "oci.manifest.digest": outcome.owned.sourceDigest,
        });
        if (outcome.status === "copied")
          logger.info(
            {
              image: name,
              digest: outcome.owned.digest,
              blobs_copied: outcome.blobsCopied,
              blobs_skipped: outcome.blobsSkipped,
            },
            "image replicated",
          );
        return {
          image: name,
          status: outcome.status,
          digest: outcome.owned.digest,
          blobsCopied: outcome.blobsCopied,
          blobsSkipped: outcome.blobsSkipped,
          owned: outcome.owned,
        };
      } catch (error) {
        if (lookup) referrers.drop(lookup);
        span.setAttribute("satellite.image.outcome", "failed");
        markFailed(span, failureType(error), error);
        return failed(name, error);
      }
    },
    { parent },
  );
}

/**
 * Untags owned images no longer desired. A tag that moved since this engine stored it (someone
 * pushed over it) is left alone and simply no longer owned; it gets no result line.
 */
async function untagDropped(
  dropped: readonly OwnedImage[],
  target: ReplicationTarget,
  logger: Logger,
): Promise<PassResult[]> {
  const results: PassResult[] = [];
  for (const image of dropped) {
    const name = imageName(image);
    try {
      const local = await target.tagDigest(image.repository, image.tag);
      if (mayUntag(image, local)) {
        await target.untag(image.repository, image.tag);
        results.push({ image: name, status: "untagged", blobsCopied: 0, blobsSkipped: 0 });
      } else
        logger.info({ image: name }, "image no longer desired, but its tag moved since it was replicated: left as is");
    } catch (error) {
      results.push(failed(name, error));
    }
  }
  return results;
}

/** Why the target cannot be written this pass (checked once, before any image), if it cannot. */
async function targetProblem(
  target: ReplicationTarget,
  plan: ReturnType<typeof planPass>,
  signal?: AbortSignal,
): Promise<TargetUnavailableError | undefined> {
  const repository = plan.images[0]?.repository ?? plan.untag[0]?.repository;
  if (repository === undefined) return undefined;
  try {
    await target.ready(repository, signal);
    return undefined;
  } catch (error) {
    if (error instanceof TargetUnavailableError) return error;
    throw error;
  }
}

function failed(image: string, cause: unknown): PassResult {
  return { image, status: "failed", blobsCopied: 0, blobsSkipped: 0, error: new ImageReplicationError(image, cause) };
}

/**
 * One line per failed image. Failures the upstream or the network cause (refused, 404, digest
 * mismatch, a platform the index lacks) carry their reason and code, not a stack (at debug, the
 * stack too); anything else is a bug and is logged with its stack.
 */
function logImageFailure(logger: Logger, image: string, cause: unknown): void {
  if (cause instanceof TargetUnavailableError) return logger.error({ image, reason: cause.message }, "image failed");
  const fields =
    registryFailureFields(cause) ??
    (cause instanceof PlatformNotFoundError || cause instanceof InvalidImageError || cause instanceof FetchRefusedError
      ? { reason: cause.message }
      : undefined);
  if (!fields) return logger.error({ image, err: cause }, "image failed");
  logger.error({ image, ...fields }, "image failed");
  logger.debug({ image, err: cause }, "image failure detail");
}
