// What a copy asks for next: the rest uncapped; bounded chunks sized from the cap, reserved before
// they are asked for; a chunk cut short finished without paying twice; the window's close.
import { describe, expect, it } from "vitest";
import { chunkBytes, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, MIN_PIECE_BYTES, planPiece } from "./range-plan.mjs";

const MB = 1_000_000;
const base = { offset: 0, size: 200 * MB, paidUntil: 0, rate: 20 * MB, bytesBeforeClose: Infinity };

describe("chunkBytes", () => {
  it("spans 100 ms of the cap, within 64 KiB and 4 MiB", () => {
    expect(chunkBytes(20 * MB)).toBe(2 * MB);
    expect(chunkBytes(100_000)).toBe(MIN_CHUNK_BYTES);
    expect(chunkBytes(1_000 * MB)).toBe(MAX_CHUNK_BYTES);
  });
});

describe("planPiece", () => {
  it("asks for the rest of the blob, reserving nothing, without a cap", () => {
    expect(planPiece({ ...base, rate: 0 })).toEqual({ end: undefined, reserve: 0 });
    expect(planPiece({ ...base, rate: 0, offset: 5 * MB, paidUntil: 5 * MB })).toEqual({ end: undefined, reserve: 0 });
  });

  it("asks for one chunk from the offset under a cap, and reserves it", () => {
    expect(planPiece(base)).toEqual({ end: 2 * MB - 1, reserve: 2 * MB });
    expect(planPiece({ ...base, offset: 7 * MB, paidUntil: 7 * MB })).toEqual({
      end: 9 * MB - 1,
      reserve: 2 * MB,
    });
  });

  it("asks for no byte past the blob's end", () => {
    expect(planPiece({ ...base, offset: base.size - 1000, paidUntil: base.size - 1000 })).toEqual({
      end: base.size - 1,
      reserve: 1000,
    });
  });

  it("finishes a chunk cut short without reserving it again", () => {
    expect(planPiece({ ...base, offset: 1_500_000, paidUntil: 2 * MB })).toEqual({ end: 2 * MB - 1, reserve: 0 });
  });

  it("asks only for what the cap lets through before a known close", () => {
    expect(planPiece({ ...base, bytesBeforeClose: 300_000.7 })).toEqual({ end: 299_999, reserve: 300_000 });
    // Plenty left: the chunk as usual.
    expect(planPiece({ ...base, bytesBeforeClose: 50 * MB })).toEqual({ end: 2 * MB - 1, reserve: 2 * MB });
  });

  it("waits for the close when too little of the window is left to be worth a request", () => {
    expect(planPiece({ ...base, bytesBeforeClose: MIN_PIECE_BYTES - 1 })).toBe("wait");
    // Unless that little is all the blob still needs.
    const offset = base.size - 1000;
    expect(planPiece({ ...base, offset, paidUntil: offset, bytesBeforeClose: 2000 })).toEqual({
      end: base.size - 1,
      reserve: 1000,
    });
  });
});
