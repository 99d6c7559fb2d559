// The spread of a job's scheduled delays (so a fleet started together does not hit Harbor in
// lockstep). Backoff after failures is not here: it is the shared retry policy's
// (@harbor-satellite/retry, used by job.ts).
import type { Random } from "@harbor-satellite/retry";

/** `delay` spread by ±fraction (0 ≤ fraction < 1). */
export function withJitter(delay: number, fraction: number, random: Random): number {
  if (fraction <= 0) return delay;
  return Math.max(0, Math.round(delay * (1 + fraction * (2 * random() - 1))));
}
