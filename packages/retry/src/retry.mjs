// @ts-check
// Runs an operation under a retry policy (policy.mjs): another attempt after each failure the
// policy calls retryable, while attempts and the deadline allow, after the policy's wait (or the
// server's Retry-After, when the caller says where to find it). An aborted signal ends it at
// once: no attempt starts and no wait begins after the abort, and a wait under way is cut short.
// Declarations for TypeScript importers: retry.d.mts.
import { nextDelay } from "./policy.mjs";

/**
 * @template T
 * @param {(attempt: number) => Promise<T>} fn
 * @param {import("./policy.d.mts").RetryPolicy} policy
 * @param {import("./retry.d.mts").RetryOptions} [options]
 * @returns {Promise<T>}
 */
export async function retry(fn, policy, options = {}) {
  const { signal, random, now = Date.now, retryAfter, onRetry } = options;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted || attempt >= policy.attempts || !policy.retryable(error)) throw error;
      const at = now();
      const delayMs = nextDelay(policy, attempt, { retryAfter: retryAfter?.(error), random, now: at });
      if (delayMs === undefined || at - started + delayMs > policy.deadlineMs) throw error;
      onRetry?.(error, { attempt, delayMs });
      await sleep(delayMs, signal);
    }
  }
}

/**
 * Waits `ms`, or rejects with the signal's reason when it aborts first (or already has).
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
