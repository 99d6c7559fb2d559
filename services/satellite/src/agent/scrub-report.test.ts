import { describe, expect, it } from "vitest";
import { createScrubReport } from "./scrub-report.js";

const BAD = `sha256:${"b".repeat(64)}`;
const OTHER = `sha256:${"c".repeat(64)}`;
const T = Date.parse("2026-01-01T00:00:00Z");

describe("the scrub's report", () => {
  it("says nothing before the first scrub", async () => {
    expect(await createScrubReport({ present: async () => false }).report()).toEqual({ errors: [] });
  });

  it("reports each quarantined blob as an error until it is back in the store, and the last scrub as activity", async () => {
    const back = new Set<string>();
    const report = createScrubReport({ present: async (d) => back.has(d) });
    report.note({ at: T, checked: 12, bytes: 5e6, quarantined: [BAD] });
    const first = await report.report();
    expect(first.errors).toEqual([
      { reference: BAD, message: expect.stringContaining("did not match its digest; quarantined") },
    ]);
    expect(first.activity).toBe(
      "last store scrub 2026-01-01T00:00:00.000Z: 12 blobs (5.0 MB) checked, 1 corrupt; 0 quarantined blobs fetched again since start, 1 awaited",
    );
    expect(report.awaiting()).toBe(1);
    back.add(BAD);
    const second = await report.report();
    expect(second.errors).toEqual([]);
    expect(second.activity).toContain("1 corrupt; 1 quarantined blobs fetched again since start, 0 awaited");
    expect(report.awaiting()).toBe(0);
  });

  it("forgets a blob still missing after a complete state pass that started after it was found (no owned image needs it)", async () => {
    const report = createScrubReport({ present: async () => false });
    report.note({ at: T, checked: 2, bytes: 10, quarantined: [BAD] });
    await report.passCompleted(T - 1); // started before the scrub found it: proves nothing
    expect(report.awaiting()).toBe(1);
    report.note({ at: T + 10, checked: 2, bytes: 10, quarantined: [OTHER] });
    await report.passCompleted(T + 5);
    expect((await report.report()).errors.map((e) => e.reference)).toEqual([OTHER]);
  });
});
