// A byte-rate limiter for background reads (the scrub): after each chunk it sleeps as long as
// needed to keep the average since the start at or under `bytesPerSecond`. Sleeping between
// chunks hands the disk and the event loop to serving. Time and sleep are injected for tests.
import { setTimeout as sleepFor } from "node:timers/promises";

export interface ByteRateOptions {
  bytesPerSecond: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** Waits shorter than this are skipped (timer granularity); the debt carries to the next chunk. */
const MIN_WAIT_MS = 1;

export type ByteRateLimiter = (bytes: number) => Promise<void>;

export function byteRateLimiter(options: ByteRateOptions): ByteRateLimiter {
  if (!(options.bytesPerSecond > 0))
    throw new RangeError(`bytesPerSecond must be positive, got ${options.bytesPerSecond}`);
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const started = now();
  let total = 0;
  return async (bytes) => {
    total += bytes;
    const due = (total / options.bytesPerSecond) * 1000 - (now() - started);
    if (due > MIN_WAIT_MS) await sleep(due, options.signal);
    else if (due > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  };
}
