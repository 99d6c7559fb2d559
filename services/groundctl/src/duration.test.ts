import { describe, expect, it } from "vitest";
import { parseDurationSeconds } from "./duration.js";

describe("durations", () => {
  it("reads seconds and unit sums", () => {
    expect(["3600", "90s", "15m", "24h", "7d", "1h30m", "1d12h"].map((d) => parseDurationSeconds(d, "--ttl"))).toEqual([
      3600, 90, 900, 86400, 604800, 5400, 129600,
    ]);
  });
  it("refuses anything else, and zero", () => {
    for (const bad of ["", "1.5h", "h", "10 m", "-5s", "1w"])
      expect(() => parseDurationSeconds(bad, "--ttl")).toThrow(/--ttl .* is not a duration/);
    expect(() => parseDurationSeconds("0s", "--ttl")).toThrow(/at least 1s/);
  });
});
