// Types of index.mjs for TypeScript importers.
export { ceilingFor, delayFor, nextDelay, parseRetryAfter, retryPolicy } from "./policy.mjs";
export type { BackoffOptions, Random, RetryPolicy, RetryPolicyOptions } from "./policy.mjs";
export { retry, sleep } from "./retry.mjs";
export type { RetryOptions } from "./retry.mjs";
export { isRetryableStatus, isTransientNetworkError } from "./transient.mjs";
