// @ts-check
// The retry policy and the one jitter rule: after the n-th failure in a row, wait a delay drawn
// uniformly from [0, min(cap, base × factor^(n-1))] ("full jitter"), or what the server asked
// for in Retry-After when it did. Pure: randomness and the clock are arguments, so tests pin
// exact delays by injecting them. Declarations for TypeScript importers: policy.d.mts.

/** @typedef {import("./policy.d.mts").RetryPolicy} RetryPolicy */
/** @typedef {import("./policy.d.mts").RetryPolicyOptions} RetryPolicyOptions */
/** @typedef {import("./policy.d.mts").Random} Random */

/** @param {RetryPolicyOptions} [options] @returns {RetryPolicy} */
export function retryPolicy(options = {}) {
  const policy = {
    baseMs: options.baseMs ?? 1_000,
    capMs: options.capMs ?? 30_000,
    factor: options.factor ?? 2,
    attempts: options.attempts ?? Infinity,
    deadlineMs: options.deadlineMs ?? Infinity,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    retryable: options.retryable ?? (() => true),
  };
  if (!(policy.baseMs >= 0 && policy.capMs >= policy.baseMs))
    throw new RangeError("retry delays must satisfy 0 <= baseMs <= capMs");
  if (!(policy.factor >= 1)) throw new RangeError("retry factor must be >= 1");
  if (!(policy.attempts === Infinity || (Number.isInteger(policy.attempts) && policy.attempts >= 1)))
    throw new RangeError("retry attempts must be an integer >= 1");
  if (!(policy.deadlineMs >= 0) || !(policy.maxRetryAfterMs >= 0))
    throw new RangeError("retry deadlineMs and maxRetryAfterMs must be >= 0");
  return Object.freeze(policy);
}

/**
 * The wait after the `failures`-th failure in a row (1 for the first): full jitter under the
 * capped exponential ceiling. `random` returns [0, 1]; 1 gives the ceiling itself.
 * @param {Pick<RetryPolicy, "baseMs" | "capMs" | "factor">} policy
 * @param {number} failures
 * @param {Random} [random]
 */
export function delayFor(policy, failures, random = Math.random) {
  return Math.floor(random() * ceilingFor(policy, failures));
}

/**
 * The largest wait after the `failures`-th failure: min(cap, base × factor^(failures-1)).
 * @param {Pick<RetryPolicy, "baseMs" | "capMs" | "factor">} policy
 * @param {number} failures
 */
export function ceilingFor(policy, failures) {
  const exponent = Math.min(Math.max(0, failures - 1), 1_000);
  return Math.min(policy.capMs, policy.baseMs * policy.factor ** exponent);
}

/**
 * The wait before the next attempt: the server's Retry-After (seconds, an HTTP date, or ms as a
 * number) when given, else delayFor. Undefined when the server asks for longer than
 * policy.maxRetryAfterMs: such a wait is not worth holding the caller for, so it gives up.
 * @param {RetryPolicy} policy
 * @param {number} failures
 * @param {{ retryAfter?: string | number | null, random?: Random, now?: number }} [options]
 * @returns {number | undefined}
 */
export function nextDelay(policy, failures, options = {}) {
  const told =
    typeof options.retryAfter === "number"
      ? Math.max(0, options.retryAfter)
      : parseRetryAfter(options.retryAfter, options.now);
  if (told !== undefined) return told <= policy.maxRetryAfterMs ? told : undefined;
  return delayFor(policy, failures, options.random);
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid.
 * @param {string | null | undefined} value
 * @param {number} [now]
 * @returns {number | undefined}
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
