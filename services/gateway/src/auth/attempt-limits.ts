// Limits on password and robot-secret attempts, checked before any slow hash: every attempt is
// reserved here first and settled with its outcome afterwards.
//
// Policy (README, "Authentication limits"):
//   - per (source address, account): 5 wrong secrets free, then a backoff of 1 s that doubles with
//     each further failure up to 15 min; a success clears it; forgotten after a day without
//     failures. Attempts still running count as failures while they run, so N concurrent wrong
//     passwords get at most 5 slow hashes, not N. An attacker at address A backs off only A's
//     attempts: the admin at address B is not affected.
//   - per source address, over all accounts: 30 slow hashes that fail per minute (a token bucket;
//     a success gives its token back), so cycling through usernames (robot names are predictable)
//     does not buy more hashing. Attempts still running hold their token; when they hold all of
//     them, further attempts from that source wait (up to 5 s) for one to settle rather than fail,
//     so a fleet behind one NAT address verifying at once after a restart is queued, not refused.
//   - per guessable account (people's passwords, not robots' random secrets), over all sources:
//     100 failures per 15 min, a safety valve against guessing from many addresses. When it is
//     spent, only sources that logged in to that account before (within 30 days) may still try,
//     so even a distributed attacker cannot lock the admin out of the addresses they use.
//
// Where this state lives: in memory, per process. Reserving before hashing must be atomic and
// cheap; in one Node process a counter is both, where a database counter would cost a write per
// attempt (itself a lever) and a round trip before every check. The price: with several workers or
// replicas each keeps its own counts, so an attacker spreading over N processes gets N times the
// budget (still bounded), and a restart forgets them. IPv6 sources count per /64 (source-key.ts).
import { ceilingFor } from "@harbor-satellite/retry";
import { sourceKey } from "./source-key.js";
import { RateLimitedError } from "../rate-limiter.js";

export interface AttemptPolicy {
  /** Failures a (source, account) pair may have before backing off. */
  freeFailures: number;
  /** The first backoff after the free failures; it doubles with each further failure. */
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** A pair's failures are forgotten after this long without a new one. */
  forgetAfterMs: number;
  /** Failing slow hashes allowed per source address per minute, over all accounts. */
  sourceFailuresPerMinute: number;
  /** Failures of a guessable account per window, over all sources (the safety valve). */
  accountCeiling: number;
  accountWindowMs: number;
  /** How long a source that logged in to an account stays exempt from that account's ceiling. */
  knownSourceMs: number;
  /** Bound on each table kept (oldest entries go first). */
  maxKeys: number;
  /**
   * How long reserveWhenFree waits when a source's budget is taken by attempts still running
   * (a fleet behind one NAT verifying at once after a restart), and how many may wait per source.
   */
  queueWaitMs: number;
  maxQueuedPerSource: number;
}

export const DEFAULT_ATTEMPT_POLICY: Readonly<AttemptPolicy> = {
  freeFailures: 5,
  firstBackoffMs: 1_000,
  maxBackoffMs: 15 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
  sourceFailuresPerMinute: 30,
  accountCeiling: 100,
  accountWindowMs: 15 * 60_000,
  knownSourceMs: 30 * 24 * 60 * 60_000,
  maxKeys: 100_000,
  queueWaitMs: 5_000,
  maxQueuedPerSource: 1_024,
};

/** One reserved attempt: settle it once with what the check found. */
export interface Attempt {
  /** The secret was wrong (after a slow hash, or for an unknown account). */
  failed(): void;
  succeeded(): void;
  /** No slow hash was spent (answered from the cache of wrong secrets) or the check broke. */
  released(): void;
}

export interface AttemptLimits {
  /**
   * Reserves an attempt for `account` from `source` (the client's address), or throws
   * RateLimitedError (ResourceExhausted) saying when to try again. `guessable`: the account's
   * secret is a person's password (the account ceiling applies), not a robot's random secret.
   */
  reserve(source: string | undefined, account: string, options?: { guessable?: boolean }): Attempt;
  /**
   * As reserve, but when the source's budget is held by its own attempts still running (each may
   * succeed and give its token back), waits for them, up to queueWaitMs, instead of refusing.
   */
  reserveWhenFree(source: string | undefined, account: string, options?: { guessable?: boolean }): Promise<Attempt>;
}

/** The source's budget is held by attempts of its own that are still running. */
class SourceBusyError extends RateLimitedError {}

/** Attempts running per source, and who waits for one of them to settle. */
interface SourceQueue {
  running: number;
  waiters: Set<() => void>;
}

interface Pair {
  failures: number;
  blockedUntil: number;
  inFlight: number;
  lastFailureAt: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createAttemptLimits(policy: Partial<AttemptPolicy> = {}, now: () => number = Date.now): AttemptLimits {
  const p: AttemptPolicy = { ...DEFAULT_ATTEMPT_POLICY, ...policy };
  const pairs = new Map<string, Pair>();
  const sources = new Map<string, Bucket>();
  const accounts = new Map<string, Bucket>();
  const known = new Map<string, number>();
  const queues = new Map<string, SourceQueue>();

  /** Sets `key` as the newest entry, dropping the oldest when the table is full. */
  const keep = <V>(map: Map<string, V>, key: string, value: V): V => {
    map.delete(key);
    if (map.size >= p.maxKeys) map.delete(map.keys().next().value as string);
    map.set(key, value);
    return value;
  };
  // The lockout is the retry policy's ceiling (capped doubling), without jitter: a wrong guess
  // must not sometimes buy a shorter wait.
  const lockout = { baseMs: p.firstBackoffMs, capMs: p.maxBackoffMs, factor: 2 };
  const backoff = (failures: number) => ceilingFor(lockout, failures - p.freeFailures + 1);
  const refill = (map: Map<string, Bucket>, key: string, capacity: number, windowMs: number, t: number): Bucket => {
    const bucket = map.get(key) ?? { tokens: capacity, at: t };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) * capacity) / windowMs);
    bucket.at = t;
    return keep(map, key, bucket);
  };
  const waitFor = (bucket: Bucket, capacity: number, windowMs: number) => ((1 - bucket.tokens) * windowMs) / capacity;
  const giveBack = (bucket: Bucket | undefined, capacity: number) => {
    if (bucket) bucket.tokens = Math.min(capacity, bucket.tokens + 1);
  };

  const limits: AttemptLimits = {
    async reserveWhenFree(source, account, options = {}) {
      const deadline = Date.now() + p.queueWaitMs;
      for (;;) {
        try {
          return limits.reserve(source, account, options);
        } catch (error) {
          const queue = queues.get(sourceKey(source));
          const left = deadline - Date.now();
          if (!(error instanceof SourceBusyError) || !queue || left <= 0 || queue.waiters.size >= p.maxQueuedPerSource)
            throw error;
          await new Promise<void>((resolve) => {
            const wake = () => {
              clearTimeout(timer);
              queue.waiters.delete(wake);
              resolve();
            };
            const timer = setTimeout(wake, left);
            queue.waiters.add(wake);
          });
        }
      }
    },
    reserve(source, account, options = {}) {
      const t = now();
      const from = sourceKey(source);
      const pairKey = `${from}\0${account}`;
      let pair = pairs.get(pairKey);
      if (pair && pair.inFlight === 0 && t - pair.lastFailureAt > p.forgetAfterMs) {
        pairs.delete(pairKey);
        pair = undefined;
      }
      if (pair && t < pair.blockedUntil)
        throw new RateLimitedError("too many failed sign-ins to this account from your address", pair.blockedUntil - t);
      const failures = pair?.failures ?? 0;
      const inFlight = pair?.inFlight ?? 0;
      // While attempts run, assume they fail: only as many run as failures remain before a backoff.
      if (inFlight >= (failures < p.freeFailures ? p.freeFailures - failures : 1)) {
        throw new RateLimitedError(
          "too many sign-ins to this account from your address at once",
          backoff(failures + inFlight),
        );
      }
      const sourceBucket = refill(sources, from, p.sourceFailuresPerMinute, 60_000, t);
      if (sourceBucket.tokens < 1) {
        if ((queues.get(from)?.running ?? 0) > 0)
          throw new SourceBusyError("too many sign-ins from your address at once", 1000);
        throw new RateLimitedError(
          "too many failed sign-ins from your address",
          waitFor(sourceBucket, p.sourceFailuresPerMinute, 60_000),
        );
      }
      let accountBucket: Bucket | undefined;
      if (options.guessable && !((known.get(pairKey) ?? 0) > t)) {
        accountBucket = refill(accounts, account, p.accountCeiling, p.accountWindowMs, t);
        if (accountBucket.tokens < 1)
          throw new RateLimitedError(
            "too many failed sign-ins to this account",
            waitFor(accountBucket, p.accountCeiling, p.accountWindowMs),
          );
        accountBucket.tokens -= 1;
      }
      sourceBucket.tokens -= 1;
      const held = keep(pairs, pairKey, pair ?? { failures: 0, blockedUntil: 0, inFlight: 0, lastFailureAt: t });
      held.inFlight += 1;
      const queue = queues.get(from) ?? { running: 0, waiters: new Set<() => void>() };
      queues.set(from, queue);
      queue.running += 1;

      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        held.inFlight -= 1;
        outcome();
        if (held.inFlight === 0 && held.failures === 0 && pairs.get(pairKey) === held) pairs.delete(pairKey);
        queue.running -= 1;
        // One settled attempt frees at most one token; none left running means every waiter
        // can have its answer now (a token, or a definite refusal).
        if (queue.running === 0) for (const wake of [...queue.waiters]) wake();
        else queue.waiters.values().next().value?.();
        if (queue.running === 0 && queue.waiters.size === 0) queues.delete(from);
      };
      return {
        failed: () =>
          settle(() => {
            held.failures += 1;
            held.lastFailureAt = now();
            if (held.failures >= p.freeFailures) held.blockedUntil = now() + backoff(held.failures);
          }),
        succeeded: () =>
          settle(() => {
            held.failures = 0;
            held.blockedUntil = 0;
            giveBack(sourceBucket, p.sourceFailuresPerMinute);
            giveBack(accountBucket, p.accountCeiling);
            keep(known, pairKey, now() + p.knownSourceMs);
          }),
        released: () =>
          settle(() => {
            giveBack(sourceBucket, p.sourceFailuresPerMinute);
            giveBack(accountBucket, p.accountCeiling);
          }),
      };
    },
  };
  return limits;
}
