import { describe, expect, it } from "vitest";
import { cachedValue, instrumentScope, metricsEnabled } from "./instruments.js";
import { startTestMetrics } from "./testing.js";

// Defined at import time, before any provider exists, as modules do.
const scope = instrumentScope("instruments-test");
const counter = scope.counter("test.events", { unit: "{event}", description: "events" });
const gauge = scope.observableGauge("test.level", { unit: "1", description: "level" });

describe("instruments defined before the provider", () => {
  it("are no-ops without a provider, then record once one is registered, and stop at shutdown", async () => {
    expect(metricsEnabled()).toBe(false);
    counter.add(5, { kind: "before" });
    const m = startTestMetrics();
    expect(metricsEnabled()).toBe(true);
    counter.add(2, { kind: "after" });
    counter.add(1, { kind: "after" });
    expect(await m.sum("test.events", { kind: "before" })).toBe(0);
    expect(await m.sum("test.events", { kind: "after" })).toBe(3);
    await m.stop();
    expect(metricsEnabled()).toBe(false);
    counter.add(1, { kind: "after" }); // no provider: dropped, and nothing throws
  });

  it("observable gauges call every registered callback at collection, even when one fails, until removed", async () => {
    const m = startTestMetrics();
    let calledA = 0;
    const removeA = gauge.addCallback((r) => {
      calledA++;
      r.observe(1, { source: "a" });
    });
    const removeFailing = gauge.addCallback(async () => Promise.reject(new Error("source down")));
    gauge.addCallback(async (r) => r.observe(7, { source: "b" }));
    // The failure surfaces as a collection error, after every callback ran.
    await expect(m.points("test.level")).rejects.toThrow("source down");
    expect(calledA).toBe(1);
    removeFailing();
    const points = await m.points("test.level");
    expect(points.map((p) => [p.attributes.source, p.value]).sort()).toEqual([
      ["a", 1],
      ["b", 7],
    ]);
    removeA();
    await m.points("test.level");
    expect(calledA).toBe(2);
    await m.stop();
  });
});

describe("cachedValue", () => {
  it("computes once per window, shares a computation in flight, and does not keep failures", async () => {
    let now = 0;
    let calls = 0;
    let fail = false;
    const value = cachedValue(
      1000,
      async () => {
        calls++;
        if (fail) throw new Error("down");
        return calls;
      },
      { now: () => now },
    );
    expect(await Promise.all([value(), value()])).toEqual([1, 1]);
    now = 999;
    expect(await value()).toBe(1);
    now = 1000;
    fail = true;
    await expect(value()).rejects.toThrow("down");
    fail = false;
    expect(await value()).toBe(3);
    expect(calls).toBe(3);
  });

  it("answers an expired value at once while computing the next, when told to", async () => {
    let now = 0;
    let calls = 0;
    let release: () => void = () => {};
    const value = cachedValue(
      1000,
      async () => {
        calls++;
        if (calls > 1) await new Promise<void>((r) => (release = r));
        return calls;
      },
      { now: () => now, serveStale: true },
    );
    expect(await value()).toBe(1);
    now = 5000;
    expect(await value()).toBe(1);
    expect(await value()).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(await value()).toBe(2);
    expect(calls).toBe(2);
  });
});
