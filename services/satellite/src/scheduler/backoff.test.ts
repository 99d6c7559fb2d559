import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, withJitter } from "./backoff.js";

describe("backoff", () => {
  it("stays within [half, whole] of the capped exponential base", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 600_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (failures, initialMs, cap, r) => {
        const maxMs = Math.max(cap, initialMs);
        const base = Math.min(maxMs, initialMs * 2 ** (failures - 1));
        const delay = backoffDelay(failures, { initialMs, maxMs, multiplier: 2 }, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base / 2));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base));
      }),
    );
  });

  it("never decreases with more failures at the same random draw", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (failures, r) => {
        const options = { initialMs: 1_000, maxMs: 300_000, multiplier: 2 };
        expect(backoffDelay(failures + 1, options, () => r)).toBeGreaterThanOrEqual(backoffDelay(failures, options, () => r));
      }),
    );
  });

  it("jitter keeps delays within ±fraction", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (delay, fraction, r) => {
        const jittered = withJitter(delay, fraction, () => r);
        expect(jittered).toBeGreaterThanOrEqual(Math.floor(delay * (1 - fraction)));
        expect(jittered).toBeLessThanOrEqual(Math.ceil(delay * (1 + fraction)));
      }),
    );
  });
});
