import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { DEFAULT_INTERVAL_SECONDS, healthOf, MISSED_INTERVALS, staleAfterMs } from "./health.js";

const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map((t) => new Date(t));
const interval = fc.option(fc.integer({ min: 1, max: 366 * 86400 }), { nil: null });

describe("health rule", () => {
  it("is NEVER_SEEN exactly when there was no heartbeat", () => {
    fc.assert(
      fc.property(
        interval,
        instant,
        (i, now) => healthOf(null, i, now) === Health.NEVER_SEEN && healthOf(undefined, i, now) === Health.NEVER_SEEN,
      ),
    );
  });

  it("is ONLINE up to and including three intervals after the last heartbeat, STALE after", () => {
    fc.assert(
      fc.property(instant, interval, fc.integer({ min: 0, max: 4 * 366 * 86400 * 1000 }), (lastSeen, i, ageMs) => {
        const now = new Date(lastSeen.getTime() + ageMs);
        const expected =
          ageMs <= MISSED_INTERVALS * (i ?? DEFAULT_INTERVAL_SECONDS) * 1000 ? Health.ONLINE : Health.STALE;
        return healthOf(lastSeen, i, now) === expected;
      }),
    );
  });

  it("is monotonic: once stale, a satellite stays stale until it reports again", () => {
    fc.assert(
      fc.property(instant, interval, fc.nat(10 ** 9), fc.nat(10 ** 9), (lastSeen, i, a, b) => {
        const earlier = new Date(lastSeen.getTime() + Math.min(a, b));
        const later = new Date(lastSeen.getTime() + Math.max(a, b));
        return !(healthOf(lastSeen, i, earlier) === Health.STALE && healthOf(lastSeen, i, later) === Health.ONLINE);
      }),
    );
  });

  it("uses the 30 s default when no interval was reported and counts future last-seen times as online", () => {
    const seen = new Date("2026-01-01T00:00:00Z");
    expect(staleAfterMs(null)).toBe(90_000);
    expect(healthOf(seen, null, new Date(seen.getTime() + 90_000))).toBe(Health.ONLINE);
    expect(healthOf(seen, null, new Date(seen.getTime() + 90_001))).toBe(Health.STALE);
    expect(healthOf(seen, 60, new Date(seen.getTime() + 90_001))).toBe(Health.ONLINE);
    expect(healthOf(seen, 30, new Date(seen.getTime() - 5_000))).toBe(Health.ONLINE);
  });
});
