// A small per-key token bucket. Enrolment (ZTR) is limited with it per client address, one budget
// shared by the REST routes and the rpcs, so tokens cannot be guessed at speed; heartbeats are not
// limited (many satellites may share one NAT address). Also the error every limit answers with.
import { Code } from "@connectrpc/connect";
import { DomainError } from "@harbor-satellite/rpc";

/** ResourceExhausted (HTTP 429 at the REST and OCI edges), saying when to try again. */
export class RateLimitedError extends DomainError {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(Code.ResourceExhausted, `${what}: try again in ${seconds} s`);
    this.retryAfterSeconds = seconds;
  }
}

export interface RateLimiter {
  /** True when the key may proceed now; false when it must wait. */
  take(key: string): boolean;
  /** How long until `key` may proceed (0 when it may now). */
  retryAfterMs(key: string): number;
}

export interface RateLimiterOptions {
  perMinute: number;
  now?: () => number;
  maxKeys?: number;
  /** Maps a key before counting (e.g. a client address to its source key). */
  keyOf?: (key: string) => string;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const keyOf = options.keyOf ?? ((key: string) => key);
  const capacity = options.perMinute;
  const refillPerMs = capacity / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const current = (key: string) => {
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: capacity, at: t };
    bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.at) * refillPerMs);
    bucket.at = t;
    return bucket;
  };
  return {
    take(raw) {
      const key = keyOf(raw);
      const bucket = current(key);
      if (!buckets.has(key) && buckets.size >= (options.maxKeys ?? 100_000)) buckets.clear();
      buckets.set(key, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
    retryAfterMs(raw) {
      const bucket = buckets.get(keyOf(raw));
      if (!bucket) return 0;
      const tokens = current(keyOf(raw)).tokens;
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / refillPerMs);
    },
  };
}
