// The registry client's retry settings on the shared policy (@harbor-satellite/retry): which
// failures are worth another attempt (5xx, 429 and transport failures; 4xx other than 401,
// handled by the auth layer, and 429 are final), and how long to wait before it (full jitter
// under min(maxDelayMs, baseDelayMs·2^attempt), or the server's Retry-After when it sent one).
import { nextDelay, retryPolicy, type Random } from "@harbor-satellite/retry";

export {
  isRetryableStatus,
  isTransientNetworkError as isRetryableNetworkError,
  parseRetryAfter,
  sleep,
} from "@harbor-satellite/retry";

export interface RetryOptions {
  /** Attempts in total, the first included (default 5). */
  attempts?: number;
  /** First backoff ceiling in ms (default 200). */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms (default 10 000). */
  maxDelayMs?: number;
  /** Largest Retry-After honoured, in ms; longer waits fail at once (default 60 000). */
  maxRetryAfterMs?: number;
  /** Source of randomness in [0, 1), for tests. */
  random?: Random;
}

export interface RetryPolicy {
  readonly attempts: number;
  /** Delay before attempt `attempt + 1` (attempt counts from 0), honouring Retry-After. */
  delayMs(attempt: number, retryAfter?: string | null): number | undefined;
}

export function createRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const attempts = options.attempts ?? 5;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError("retry attempts must be an integer >= 1");
  const policy = retryPolicy({
    attempts,
    baseMs: options.baseDelayMs ?? 200,
    capMs: options.maxDelayMs ?? 10_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
  });
  const random = options.random ?? Math.random;
  return {
    attempts,
    delayMs: (attempt, retryAfter) => nextDelay(policy, attempt + 1, { retryAfter, random }),
  };
}
