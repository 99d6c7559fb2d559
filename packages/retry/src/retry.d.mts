// Types of retry.mjs for TypeScript importers.
import type { Random, RetryPolicy } from "./policy.mjs";

export interface RetryOptions {
  /** Aborting it ends the retries: no further attempt or wait; the wait under way rejects with its reason. */
  signal?: AbortSignal;
  /** Randomness for the jitter (default Math.random). */
  random?: Random;
  /** Clock for the deadline and Retry-After dates (default Date.now). */
  now?: () => number;
  /** The server's Retry-After carried by a failure (header value or ms), when it has one. */
  retryAfter?: (error: unknown) => string | number | null | undefined;
  /** Told before each wait. */
  onRetry?: (error: unknown, next: { attempt: number; delayMs: number }) => void;
}

/**
 * Runs `fn(attempt)` (attempt counts from 1) until it resolves; rethrows the last failure when
 * it is not retryable, the attempts or the deadline are used up, Retry-After asks too long, or
 * the signal aborted.
 */
export declare function retry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options?: RetryOptions,
): Promise<T>;
/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;
