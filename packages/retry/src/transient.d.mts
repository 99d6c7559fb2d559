// Types of transient.mjs for TypeScript importers.

/** True for 5xx and 429: a later attempt may succeed. */
export declare function isRetryableStatus(status: number): boolean;
/** True for transport failures (no HTTP answer) that a new connection may get past. */
export declare function isTransientNetworkError(error: unknown): boolean;
