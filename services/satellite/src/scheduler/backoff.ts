// Delays between runs: the schedule's own delay with jitter (so a fleet started together does
// not hit Harbor in lockstep), and exponential backoff after failures, capped, with jitter, and
// reset by the next success.

export interface BackoffOptions {
  /** Delay after the first failure (default: the schedule's interval, or 30 s for cron). */
  initialMs?: number;
  /** Cap (default 5 minutes, never below initialMs). */
  maxMs?: number;
  /** Growth per consecutive failure (default 2). */
  multiplier?: number;
}

export type Random = () => number;

/**
 * Delay after `failures` consecutive failures (>= 1): initial × multiplier^(failures-1), capped,
 * then "equal jitter" — uniformly in [half, whole] — so retries spread out but never come
 * back immediately.
 */
export function backoffDelay(failures: number, options: Required<BackoffOptions>, random: Random): number {
  const exponent = Math.min(Math.max(0, failures - 1), 64);
  const base = Math.min(options.maxMs, options.initialMs * options.multiplier ** exponent);
  return Math.round(base / 2 + (random() * base) / 2);
}

/** `delay` spread by ±fraction (0 ≤ fraction < 1). */
export function withJitter(delay: number, fraction: number, random: Random): number {
  if (fraction <= 0) return delay;
  return Math.max(0, Math.round(delay * (1 + fraction * (2 * random() - 1))));
}
