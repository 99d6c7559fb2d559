import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRetryPolicy, isRetryableNetworkError, isRetryableStatus, parseRetryAfter } from "./retry.js";

describe("retry policy", () => {
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
  it("retries 5xx, 429 and transport failures, never other 4xx", () => {
    for (const status of [500, 502, 503, 504, 429]) expect(isRetryableStatus(status), String(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 405, 408, 416]) expect(isRetryableStatus(status), String(status)).toBe(false);
    expect(isRetryableNetworkError(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryableNetworkError(new Error("socket hang up"))).toBe(true);
    expect(isRetryableNetworkError(new TypeError("bad"))).toBe(false);
  });
  it("validates its options", () => {
    expect(() => createRetryPolicy({ attempts: 0 })).toThrow(/attempts/);
    expect(() => createRetryPolicy({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(/delays/);
  });
});
