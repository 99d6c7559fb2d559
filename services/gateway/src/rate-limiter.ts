// A small per-key token bucket. Enrolment routes use it per client IP, so tokens cannot be
// guessed at speed; heartbeats are not limited (many satellites may share one NAT address).

export interface RateLimiter {
  /** True when the key may proceed now; false when it must wait. */
  take(key: string): boolean;
}

export function createRateLimiter(options: { perMinute: number; now?: () => number; maxKeys?: number }): RateLimiter {
  const now = options.now ?? Date.now;
  const capacity = options.perMinute;
  const refillPerMs = capacity / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: capacity, at: t };
      bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.at) * refillPerMs);
      bucket.at = t;
      if (buckets.size >= (options.maxKeys ?? 100_000)) buckets.clear();
      buckets.set(key, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
