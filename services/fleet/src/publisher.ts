// Drains the outbox: claims due rows (FOR UPDATE SKIP LOCKED, so replicas share the work), runs
// each job against the registry service, deletes it on success, and on failure records the error
// and retries with the shared retry policy's backoff (@harbor-satellite/retry: capped exponential,
// full jitter, counted by the row's attempts). Nothing is lost while Harbor is down: the rows
// stay until a publish succeeds. Kicked right after each commit for low latency, and polled so
// retries and other replicas' work are picked up.
import { Code, ConnectError } from "@connectrpc/connect";
import { delayFor, retryPolicy, type Random, type RetryPolicy } from "@harbor-satellite/retry";
import type { Logger } from "@harbor-satellite/telemetry";
import { withSpan } from "@harbor-satellite/telemetry";
import { countOutboxJob } from "./metrics/outbox-metrics.js";
import { runJob, StateNotPublishedError, type RegistryClient } from "./publish-jobs.js";
import type { FleetStore, OutboxJob } from "./store/index.js";

export interface PublisherOptions {
  /** How often to look for due rows besides kicks (default 2 000 ms). */
  pollIntervalMs?: number;
  /** How long a claimed row is ours before another publisher may take it (default 120 000 ms). */
  leaseMs?: number;
  /** Deadline of each registry call (default 60 000 ms); keep it below leaseMs. */
  callTimeoutMs?: number;
  /** Rows claimed at once (default 64). */
  batchSize?: number;
  /**
   * Jobs run in parallel (default 16). A job waits mostly on PostgreSQL commits and registry
   * calls: bench/fleet/scale.ts republished 1,000 satellite states about twice as fast with 16
   * than with 4 (and 64/16 rows per claim), at less CPU per state.
   */
  concurrency?: number;
  /** Ceiling of the first retry delay (default 1 000 ms), doubled per attempt up to maxDelayMs (default 300 000 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: Random;
}

export interface OutboxPublisher {
  start(): void;
  /** Asks for a pass now (after a commit). */
  kick(): void;
  /** Runs passes until no row is due; resolves when done (tests, shutdown). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** A promise and its resolve (Promise.withResolvers is Node 22). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The wait after a failed publish: full jitter under min(maxDelayMs, baseDelayMs·2^(attempts-1)). */
export function outboxRetryPolicy(options: Pick<PublisherOptions, "baseDelayMs" | "maxDelayMs"> = {}): RetryPolicy {
  return retryPolicy({ baseMs: options.baseDelayMs ?? 1_000, capMs: options.maxDelayMs ?? 300_000 });
}

export function createOutboxPublisher(
  store: FleetStore,
  registry: RegistryClient,
  logger: Logger,
  options: PublisherOptions = {},
): OutboxPublisher {
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const leaseMs = options.leaseMs ?? 120_000;
  const callTimeoutMs = Math.min(options.callTimeoutMs ?? 60_000, leaseMs);
  const batchSize = options.batchSize ?? 64;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const retry = outboxRetryPolicy(options);
  const random = options.random ?? Math.random;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const runOne = (job: OutboxJob) =>
    withSpan(
      "fleet-publisher",
      `fleet.publish ${job.kind}`,
      { "outbox.kind": job.kind, "outbox.subject": job.subject, "outbox.attempt": job.attempts },
      async () => {
        try {
          const outcome = await runJob(job, store, registry, callTimeoutMs);
          await store.outbox.complete(job);
          countOutboxJob(job.kind, "published");
          logger.info({ kind: job.kind, subject: job.subject, attempt: job.attempts }, outcome);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const delayMs = delayFor(retry, job.attempts, random);
          // Waiting for a group's or config's first publish is expected (that publish queues this job again).
          const waiting = error instanceof StateNotPublishedError;
          // Harbor missing or down is said once by the gateway's Harbor watcher (and /healthz), not
          // at every retry of every job.
          const harborAway = !waiting && ConnectError.from(error).code === Code.Unavailable;
          countOutboxJob(job.kind, waiting ? "waiting" : "failed");
          logger[waiting ? "info" : harborAway ? "debug" : "warn"](
            { kind: job.kind, subject: job.subject, attempt: job.attempts, retryInMs: delayMs, err: message },
            waiting ? "publish waits" : "publish failed; will retry",
          );
          await store.outbox.fail(job, message, delayMs);
        }
      },
    );

  // Workers take jobs from one queue that the next claim refills before it runs dry, so a claim
  // of 64 does not wait for its slowest job before the next 64 start (a 10,000-state republish
  // is 157 claims). A claim that finds nothing is tried again after the next job ends (a group's
  // publish queues its satellites' states); the pass ends when it finds nothing with none running.
  const drain = async (): Promise<void> => {
    const queue: OutboxJob[] = [];
    let nothingDue = false;
    let inFlight = 0;
    let claiming: Promise<void> | undefined;
    let jobEnded = signal();
    // A claim that fails ends the pass once the jobs already claimed are done; the poll retries.
    let failure: unknown;
    const refill = () =>
      (claiming ??= store.outbox
        .claim(batchSize, leaseMs)
        .then((jobs) => {
          nothingDue = jobs.length === 0;
          queue.push(...jobs);
        })
        .finally(() => (claiming = undefined)));
    const worker = async () => {
      for (;;) {
        const job = queue.shift();
        if (!job) {
          if (failure !== undefined) return;
          if (!nothingDue) await refill().catch((error: unknown) => (failure = error));
          else if (inFlight === 0) return;
          else await jobEnded.promise;
          continue;
        }
        // Ahead of need; a failed claim here is retried (and reported) by the next awaited one.
        if (queue.length < concurrency && !nothingDue) refill().catch(() => undefined);
        inFlight++;
        await runOne(job).catch((error: unknown) => logger.error({ err: String(error) }, "outbox bookkeeping failed"));
        inFlight--;
        nothingDue = false;
        jobEnded.resolve();
        jobEnded = signal();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failure !== undefined) throw failure;
  };

  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((error: unknown) => logger.error({ err: String(error) }, "outbox pass failed"))
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void run();
        }
      });
    return running;
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setInterval(() => void run(), pollIntervalMs);
      timer.unref();
      void run();
    },
    kick() {
      if (!stopped) void run();
    },
    async flush() {
      while (running) await running;
      await run();
      while (running) await running;
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      while (running) await running;
    },
  };
}
