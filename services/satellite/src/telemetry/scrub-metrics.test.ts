import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeScrub, recordScrubCorrupt, recordScrubRead } from "./scrub-metrics.js";

describe("store scrub metrics", () => {
  let m: TestMetrics;
  beforeAll(() => {
    m = startTestMetrics();
  });
  afterAll(() => m.stop());

  it("counts bytes read and corrupt blobs, and reports the last completion and the blobs awaited", async () => {
    recordScrubRead(1000);
    recordScrubRead(24);
    recordScrubCorrupt(0);
    recordScrubCorrupt(2);
    expect(await m.sum("satellite.store.scrub.read")).toBe(1024);
    expect(await m.sum("satellite.store.scrub.corrupt")).toBe(2);
    let last: number | undefined;
    const stop = observeScrub({ lastCompletedAt: () => last, awaiting: () => 1 });
    try {
      expect(await m.sum("satellite.store.scrub.last_completed")).toBe(0);
      last = 1_700_000_000_500;
      expect(await m.sum("satellite.store.scrub.last_completed")).toBe(1_700_000_000.5);
      expect(await m.sum("satellite.store.scrub.quarantined")).toBe(1);
    } finally {
      stop();
    }
  });
});
