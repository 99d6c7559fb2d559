import { describe, expect, it } from "vitest";
import { defaultConfig } from "../config/satellite-config.js";
import { collectHeartbeat, type HeartbeatSources } from "./heartbeat.js";

const BAD = `sha256:${"b".repeat(64)}`;

function sources(store?: HeartbeatSources["store"]): HeartbeatSources {
  return {
    config: defaultConfig,
    satelliteName: () => "edge-1",
    metrics: { collect: async () => ({ memoryUsedBytes: 1n, storageUsedBytes: 2n, cpuPercent: 3 }) },
    images: { list: async () => [] },
    replication: async () => ({
      stateDigest: "s",
      configDigest: "c",
      lastSyncDurationMs: 5,
      errors: [{ reference: "lib/app:1", message: "MANIFEST_UNKNOWN" }],
      summary: "last pass partial",
    }),
    pendingActivity: () => undefined,
    store,
  };
}

describe("collectHeartbeat and the store scrub", () => {
  it("adds the scrub's errors after the pass's, and its line to the activity", async () => {
    const beat = await collectHeartbeat(
      sources(async () => ({
        errors: [{ reference: BAD, message: "quarantined" }],
        activity: "last store scrub: 1 corrupt",
      })),
    );
    expect(beat.errors).toEqual([
      { reference: "lib/app:1", message: "MANIFEST_UNKNOWN" },
      { reference: BAD, message: "quarantined" },
    ]);
    expect(beat.activity).toBe("last pass partial; last store scrub: 1 corrupt");
  });

  it("while no sync window is open, says when the next one opens, before the pass's line", async () => {
    const beat = await collectHeartbeat({
      ...sources(),
      syncWindow: () => "outside sync window, next window at 2026-12-07T22:00:00.000Z",
    });
    expect(beat.activity).toBe("outside sync window, next window at 2026-12-07T22:00:00.000Z; last pass partial");
  });

  it("without a scrub, reports the pass alone", async () => {
    const beat = await collectHeartbeat(sources());
    expect(beat.errors).toHaveLength(1);
    expect(beat.activity).toBe("last pass partial");
  });
});
