// @ts-check
// The one retry/backoff policy of the repository (README.md). Plain JavaScript with
// declarations (*.d.mts) so that the layer-copy worker, which runs without a TypeScript loader,
// uses the same module as everything else.
export { ceilingFor, delayFor, nextDelay, parseRetryAfter, retryPolicy } from "./policy.mjs";
export { retry, sleep } from "./retry.mjs";
export { isRetryableStatus, isTransientNetworkError } from "./transient.mjs";
