import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRange } from "./range.js";

describe("Range header", () => {
  it("reads the three single-range forms", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ kind: "partial", range: { start: 0, end: 9 } });
    expect(parseRange("bytes=90-", 100)).toEqual({ kind: "partial", range: { start: 90, end: 99 } });
    expect(parseRange("bytes=-5", 100)).toEqual({ kind: "partial", range: { start: 95, end: 99 } });
    expect(parseRange("bytes=-500", 100)).toEqual({ kind: "partial", range: { start: 0, end: 99 } });
  });

  it("answers unsatisfiable past the end, and the whole blob for what it does not support", () => {
    expect(parseRange("bytes=100-", 100)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-0", 100)).toEqual({ kind: "unsatisfiable" });
    for (const h of [undefined, "bytes=0-1,3-4", "items=0-1", "bytes=5-2", "bytes=-"])
      expect(parseRange(h, 100)).toEqual({ kind: "full" });
  });

  it("never yields a range outside the blob", () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.option(fc.nat(2000)), fc.option(fc.nat(2000)), (size, a, b) => {
        const r = parseRange(`bytes=${a ?? ""}-${b ?? ""}`, size);
        return r.kind !== "partial" || (r.range.start >= 0 && r.range.start <= r.range.end && r.range.end < size);
      }),
    );
  });
});
