import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withJitter } from "./spread.js";

describe("schedule spread", () => {
  it("keeps delays within ±fraction", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (delay, fraction, r) => {
          const jittered = withJitter(delay, fraction, () => r);
          expect(jittered).toBeGreaterThanOrEqual(Math.floor(delay * (1 - fraction)));
          expect(jittered).toBeLessThanOrEqual(Math.ceil(delay * (1 + fraction)));
        },
      ),
    );
  });
});
