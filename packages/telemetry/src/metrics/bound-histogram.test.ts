import type { Histogram } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { boundHistogram } from "./bound-histogram.js";
import { startTestMetrics } from "./testing.js";

const family = boundHistogram("bound-test", "test.bound.duration", {
  unit: "s",
  description: "bound",
  boundaries: [0.005, 0.01, 1],
});

describe("bound histograms", () => {
  it("record nothing without a provider, then bucket by inclusive upper bounds and export like SDK histograms", async () => {
    const series = family.bind({ route: "/a" });
    series.record(0.5); // no provider yet: dropped
    const m = startTestMetrics();
    try {
      for (const v of [0.005, 0.006, 0.01, 20]) series.record(v);
      expect(family.bind({ route: "/a" })).toBe(series);
      const [point] = await m.points("test.bound.duration", { route: "/a" });
      const value = point.value as Histogram;
      expect(value.buckets).toEqual({ boundaries: [0.005, 0.01, 1], counts: [1, 2, 0, 1] });
      expect(value).toMatchObject({ count: 4, min: 0.005, max: 20 });
      expect(value.sum).toBeCloseTo(20.021);
      const text = await m.text();
      expect(text).toMatch(/^# TYPE test_bound_duration_seconds histogram$/m);
      expect(text).toMatch(
        /^test_bound_duration_seconds_bucket\{route="\/a",otel_scope_name="bound-test",le="0.01"\} 3$/m,
      );
      expect(text).toMatch(
        /^test_bound_duration_seconds_bucket\{route="\/a",otel_scope_name="bound-test",le="\+Inf"\} 4$/m,
      );
      // A series that recorded nothing is not exported.
      family.bind({ route: "/b" });
      expect(await m.points("test.bound.duration", { route: "/b" })).toEqual([]);
    } finally {
      await m.stop();
    }
  });
});
