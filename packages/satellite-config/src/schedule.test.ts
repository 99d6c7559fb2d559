import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { delayUntilNext, formatEvery, InvalidScheduleError, parseDuration, parseSchedule } from "./schedule.js";

describe("parseSchedule @every", () => {
  it("reads the original's padded form and short Go durations", () => {
    expect(parseSchedule("@every 00h00m10s")).toMatchObject({ kind: "every", everyMs: 10_000 });
    expect(parseSchedule("@every 10s")).toMatchObject({ kind: "every", everyMs: 10_000 });
    expect(parseSchedule("@every 1m30s")).toMatchObject({ kind: "every", everyMs: 90_000 });
    expect(parseSchedule("@every 1.5h")).toMatchObject({ kind: "every", everyMs: 5_400_000 });
    expect(parseSchedule("  @every   2h  ")).toMatchObject({ kind: "every", everyMs: 7_200_000 });
  });

  it("round-trips any whole-second interval through formatEvery", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 366 * 24 * 3600 }), (seconds) => {
        const text = formatEvery(seconds * 1000);
        expect(text).toMatch(/^@every \d{2,}h\d{2}m\d{2}s$/);
        expect(parseSchedule(text)).toMatchObject({ kind: "every", everyMs: seconds * 1000 });
      }),
    );
  });

  it("sums h/m/s/ms parts in any combination", () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(100), fc.nat(100), fc.nat(999), (h, m, s, ms) => {
        expect(parseDuration(`${h}h${m}m${s}s${ms}ms`)).toBe(((h * 60 + m) * 60 + s) * 1000 + ms);
      }),
    );
  });

  it("raises sub-second intervals to 1 s as robfig/cron does, and reads every Go unit", () => {
    expect(parseSchedule("@every 500ms")).toMatchObject({ everyMs: 1_000 });
    expect(parseSchedule("@every 100ns")).toMatchObject({ everyMs: 1_000 });
    expect(parseSchedule("@every 1500000us")).toMatchObject({ everyMs: 1_500 });
    expect(parseSchedule("@every .5m")).toMatchObject({ everyMs: 30_000 });
  });

  it("rejects garbage, zero and over-long intervals with a message naming the value", () => {
    for (const bad of [
      "",
      "@every",
      "@every 10",
      "@every ten seconds",
      "@every 10x",
      "@every 0s",
      "@every 0.0h",
      "@every -5s",
      "@every 1h 2m",
      "every 10s",
      "@every 400d",
      "@sometimes",
    ]) {
      expect(() => parseSchedule(bad), bad).toThrow(InvalidScheduleError);
    }
    expect(() => parseSchedule("@every 10")).toThrow(/"@every 10"/);
  });

  it("never accepts random text that is neither a duration nor a cron line", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }).filter((s) => !/^[\d*/,\-\s@a-zA-Z]+$/.test(s)),
        (text) => {
          expect(() => parseSchedule(text)).toThrow(InvalidScheduleError);
        },
      ),
    );
  });
});

describe("parseSchedule cron", () => {
  it("accepts 5-field expressions and descriptors, and computes the next run in UTC", () => {
    const every5 = parseSchedule("*/5 * * * *");
    expect(every5.kind).toBe("cron");
    expect(delayUntilNext(every5, Date.parse("2024-01-01T00:01:30Z"))).toBe(210_000);
    expect(parseSchedule("@hourly").kind).toBe("cron");
    expect(delayUntilNext(parseSchedule("0 3 * * *"), Date.parse("2024-01-01T02:00:00Z"))).toBe(3_600_000);
  });

  it("rejects 6-field lines, out-of-range values and 4-field lines", () => {
    for (const bad of ["* * * *", "*/5 * * * * *", "61 * * * *", "* 25 * * *", "a b c d e"]) {
      expect(() => parseSchedule(bad), bad).toThrow(InvalidScheduleError);
    }
  });

  it("gives a delay within one cycle for any minute step", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 59 }), fc.integer({ min: 0, max: 2_000_000_000_000 }), (step, now) => {
        const delay = delayUntilNext(parseSchedule(`*/${step} * * * *`), now);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(3_600_000);
      }),
    );
  });
});

describe("delayUntilNext @every", () => {
  it("is the interval itself", () => {
    expect(delayUntilNext(parseSchedule("@every 1m"), 12345)).toBe(60_000);
  });
});
