import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ceilingFor, delayFor, nextDelay, parseRetryAfter, retryPolicy } from "./index.mjs";

describe("retry policy", () => {
  it("draws full-jitter delays in [0, min(cap, base × factor^(n-1))]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (failures, baseMs, extra, factor, r) => {
          const policy = retryPolicy({ baseMs, capMs: baseMs + extra, factor });
          const ceiling = Math.min(baseMs + extra, baseMs * factor ** (failures - 1));
          const delay = delayFor(policy, failures, () => r);
          expect(ceilingFor(policy, failures)).toBe(ceiling);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });

  it("grows by the factor up to the cap, at a fixed draw", () => {
    const policy = retryPolicy({ baseMs: 1_000, capMs: 10_000 });
    expect([1, 2, 3, 4, 5, 100, 1e9].map((n) => delayFor(policy, n, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000,
    ]);
    expect([1, 2, 3].map((n) => delayFor(policy, n, () => 0.5))).toEqual([500, 1_000, 2_000]);
    expect(delayFor(policy, 7, () => 0)).toBe(0);
    expect(delayFor(retryPolicy({ baseMs: 100, capMs: 1_000, factor: 1 }), 9, () => 1)).toBe(100);
  });

  it("honours Retry-After (seconds, a date, or ms) up to maxRetryAfterMs, else gives up", () => {
    const policy = retryPolicy({ baseMs: 100, capMs: 100, maxRetryAfterMs: 10_000 });
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(nextDelay(policy, 1, { retryAfter: "3", random: () => 1 })).toBe(3_000);
    expect(nextDelay(policy, 1, { retryAfter: "Wed, 01 Jan 2025 00:00:05 GMT", now })).toBe(5_000);
    expect(nextDelay(policy, 1, { retryAfter: 250 })).toBe(250);
    expect(nextDelay(policy, 1, { retryAfter: "120" })).toBeUndefined();
    expect(nextDelay(policy, 1, { retryAfter: "soon", random: () => 1 })).toBe(100);
    expect(nextDelay(policy, 1, { retryAfter: null, random: () => 0.5 })).toBe(50);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("fills in defaults and refuses nonsense", () => {
    expect(retryPolicy()).toMatchObject({
      baseMs: 1_000,
      capMs: 30_000,
      factor: 2,
      attempts: Infinity,
      deadlineMs: Infinity,
      maxRetryAfterMs: 60_000,
    });
    expect(retryPolicy().retryable(new Error("x"))).toBe(true);
    expect(Object.isFrozen(retryPolicy())).toBe(true);
    expect(() => retryPolicy({ baseMs: 10, capMs: 5 })).toThrow(/baseMs <= capMs/);
    expect(() => retryPolicy({ baseMs: -1 })).toThrow(RangeError);
    expect(() => retryPolicy({ factor: 0.5 })).toThrow(/factor/);
    expect(() => retryPolicy({ attempts: 0 })).toThrow(/attempts/);
    expect(() => retryPolicy({ attempts: 1.5 })).toThrow(/attempts/);
    expect(() => retryPolicy({ deadlineMs: -1 })).toThrow(/deadlineMs/);
  });
});
