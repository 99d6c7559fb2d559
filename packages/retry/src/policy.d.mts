// Types of policy.mjs for TypeScript importers.

/** A source of randomness in [0, 1] (Math.random, or a fixed value in tests). */
export type Random = () => number;

/** How the wait grows: after the n-th failure in a row, up to min(capMs, baseMs × factor^(n-1)). */
export interface BackoffOptions {
  /** Ceiling after the first failure (default 1 000 ms). */
  baseMs?: number;
  /** Largest ceiling (default 30 000 ms; never below baseMs). */
  capMs?: number;
  /** Growth per further failure (default 2). */
  factor?: number;
}

export interface RetryPolicyOptions extends BackoffOptions {
  /** Attempts in total, the first included (default unlimited). */
  attempts?: number;
  /** No retry whose wait would end later than this many ms after the first attempt began (default none). */
  deadlineMs?: number;
  /** Longest Retry-After honoured; a server asking longer ends the retries (default 60 000 ms). */
  maxRetryAfterMs?: number;
  /** Which failures are worth another attempt (default all). */
  retryable?: (error: unknown) => boolean;
}

export interface RetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly factor: number;
  readonly attempts: number;
  readonly deadlineMs: number;
  readonly maxRetryAfterMs: number;
  readonly retryable: (error: unknown) => boolean;
}

/** A validated, frozen policy with the defaults filled in; throws RangeError on nonsense. */
export declare function retryPolicy(options?: RetryPolicyOptions): RetryPolicy;
/** The wait after the `failures`-th failure in a row (>= 1): floor(random() × ceilingFor). */
export declare function delayFor(
  policy: Pick<RetryPolicy, "baseMs" | "capMs" | "factor">,
  failures: number,
  random?: Random,
): number;
/** min(capMs, baseMs × factor^(failures-1)). */
export declare function ceilingFor(policy: Pick<RetryPolicy, "baseMs" | "capMs" | "factor">, failures: number): number;
/** Retry-After (header value, or ms) when given, else delayFor; undefined when Retry-After exceeds maxRetryAfterMs. */
export declare function nextDelay(
  policy: RetryPolicy,
  failures: number,
  options?: { retryAfter?: string | number | null; random?: Random; now?: number },
): number | undefined;
/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or invalid. */
export declare function parseRetryAfter(value: string | null | undefined, now?: number): number | undefined;
