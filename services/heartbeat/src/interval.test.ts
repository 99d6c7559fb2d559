import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatEvery, MAX_INTERVAL_SECONDS, normalizeInterval, parseGoDuration } from "./interval.js";

const now = new Date("2026-03-01T10:00:07Z");

describe("state_report_interval", () => {
  it("normalizes @every durations to whole seconds in the original's HHhMMmSSs form", () => {
    expect(normalizeInterval("@every 00h00m30s", now)).toEqual({ seconds: 30, text: "@every 00h00m30s" });
    expect(normalizeInterval("@every 30s", now)).toEqual({ seconds: 30, text: "@every 00h00m30s" });
    expect(normalizeInterval("  @every 1h2m3s ", now)).toEqual({ seconds: 3723, text: "@every 01h02m03s" });
    expect(normalizeInterval("@every 1.5m", now)).toEqual({ seconds: 90, text: "@every 00h01m30s" });
    expect(normalizeInterval("@every 200ms", now)).toEqual({ seconds: 1, text: "@every 00h00m01s" });
    expect(normalizeInterval("@every 0", now)?.seconds).toBe(1);
    expect(normalizeInterval("@every 1499ms", now)?.seconds).toBe(1);
    expect(normalizeInterval("@every 100h", now)).toEqual({ seconds: 360000, text: "@every 100h00m00s" });
  });

  it("derives a cron expression's interval from its next two fire times", () => {
    expect(normalizeInterval("*/5 * * * *", now)).toEqual({ seconds: 300, text: "*/5 * * * *" });
    expect(normalizeInterval("*/10 * * * * *", now)).toEqual({ seconds: 10, text: "*/10 * * * * *" });
    expect(normalizeInterval("@hourly", now)?.seconds).toBe(3600);
    expect(normalizeInterval("0 9,17 * * *", new Date("2026-03-01T08:00:00Z"))?.seconds).toBe(8 * 3600);
  });

  it("treats an empty interval as not reported", () => {
    expect(normalizeInterval("", now)).toBeUndefined();
    expect(normalizeInterval("   ", now)).toBeUndefined();
  });

  it("rejects what is neither a duration nor a cron expression, naming the field", () => {
    for (const bad of [
      "@every",
      "@every 30",
      "@every -5s",
      "@every 5x",
      "@every 1h 2m",
      "every 30s",
      "* * *",
      "0 0 30 2 *",
      `@every ${MAX_INTERVAL_SECONDS + 10}s`,
    ]) {
      expect(() => normalizeInterval(bad, now), bad).toThrow(/state_report_interval .* is invalid/);
    }
  });

  it("round-trips any whole number of seconds through its normal form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_INTERVAL_SECONDS }), (s) => {
        const text = formatEvery(s);
        return (
          /^@every \d{2,}h\d{2}m\d{2}s$/.test(text) &&
          normalizeInterval(text, now)?.seconds === s &&
          parseGoDuration(text.slice(7)) === s
        );
      }),
    );
  });

  it("adds up Go duration parts in any order and unit", () => {
    fc.assert(
      fc.property(fc.nat(99), fc.nat(99), fc.nat(99), fc.nat(999), (h, m, s, ms) => {
        return Math.abs(parseGoDuration(`${h}h${m}m${s}s${ms}ms`) - (h * 3600 + m * 60 + s + ms / 1000)) < 1e-9;
      }),
    );
  });
});
