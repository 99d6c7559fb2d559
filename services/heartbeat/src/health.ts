// The status rule, shared by every reader: a satellite is ONLINE while its last heartbeat is at
// most three of its own intervals old, STALE after that, and NEVER_SEEN until its first
// heartbeat. The store's SQL filter (store.ts, `healthCondition`) encodes the same rule; a
// property test checks the two agree.
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";

/** Interval assumed for satellites that never reported one (the original's default). */
export const DEFAULT_INTERVAL_SECONDS = 30;
/** How many intervals may pass without a heartbeat before a satellite counts as stale. */
export const MISSED_INTERVALS = 3;

/** The interval the rule uses: the reported one, or the default when unknown. */
export function effectiveIntervalSeconds(intervalSeconds: number | null | undefined): number {
  return intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
}

/** Milliseconds after the last heartbeat at which a satellite becomes stale. */
export function staleAfterMs(intervalSeconds: number | null | undefined): number {
  return MISSED_INTERVALS * effectiveIntervalSeconds(intervalSeconds) * 1000;
}

/**
 * ONLINE when seen at most three intervals before `now` (a last-seen time in the future, from
 * clock skew between replicas, counts as online), STALE when seen earlier, NEVER_SEEN otherwise.
 */
export function healthOf(
  lastSeen: Date | null | undefined,
  intervalSeconds: number | null | undefined,
  now: Date,
): Health {
  if (!lastSeen) return Health.NEVER_SEEN;
  return now.getTime() - lastSeen.getTime() <= staleAfterMs(intervalSeconds) ? Health.ONLINE : Health.STALE;
}
