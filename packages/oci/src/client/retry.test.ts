import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRetryPolicy, parseRetryAfter } from "./retry.js";

// The delay rule and the failure predicates are tested in @harbor-satellite/retry; these pin the
// client's settings on it (attempt counted from 0, Retry-After, defaults).
describe("registry client retry policy", () => {
  it("draws full-jitter delays within the exponential ceiling", () => {
    fc.assert(
      fc.property(fc.nat(20), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const delay = createRetryPolicy({ baseDelayMs: 100, maxDelayMs: 5000, random: () => r }).delayMs(attempt)!;
        return delay >= 0 && delay <= Math.min(5000, 100 * 2 ** attempt);
      }),
    );
  });
  it("honours Retry-After in seconds and as a date, and refuses waits past the cap", () => {
    const policy = createRetryPolicy({ maxRetryAfterMs: 10_000, random: () => 0.5 });
    expect(policy.delayMs(0, "3")).toBe(3000);
    expect(policy.delayMs(0, "120")).toBeUndefined();
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
  it("validates its options", () => {
    expect(() => createRetryPolicy({ attempts: 0 })).toThrow(/attempts/);
    expect(() => createRetryPolicy({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(/delays/);
    expect(createRetryPolicy().attempts).toBe(5);
    expect([0, 1, 6, 7].map((a) => createRetryPolicy({ random: () => 1 }).delayMs(a))).toEqual([
      200, 400, 10_000, 10_000,
    ]);
  });
});
