import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemoryDatabase, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { createHeartbeatModule, type HeartbeatModule } from "../index.js";
import { clientAs, manualClock, satellite, seedSatellites, silentLogger } from "../testing.js";
import { countByDrift, observeFleetDrift } from "./fleet-drift.js";
import { countByHealth, observeFleetHealth } from "./fleet-health.js";

describe("heartbeat metrics", () => {
  let handle: DatabaseHandle;
  let module: HeartbeatModule;
  let m: TestMetrics;
  const clock = manualClock();

  beforeAll(async () => {
    m = startTestMetrics();
    handle = await openMemoryDatabase();
    module = createHeartbeatModule({ db: handle.db, logger: silentLogger, now: clock.now, ingest: { lingerMs: 1 } });
    await seedSatellites(handle.db, ["edge-a", "edge-b", "edge-c", "edge-d", "edge-e"]);
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
    await m?.stop();
  });

  it("counts heartbeats committed, their batches and each one's lag", async () => {
    await Promise.all(
      ["edge-a", "edge-b", "edge-c"].map((name) =>
        clientAs(module, satellite(name)).sync({ name, stateReportInterval: "@every 10s" }),
      ),
    );
    expect(await m.sum("ground_control.heartbeat.ingested", { outcome: "committed" })).toBe(3);
    const batches = await m.histogram("ground_control.heartbeat.batch.size");
    expect(batches.sum).toBe(3);
    expect(batches.count).toBeGreaterThanOrEqual(1);
    const lag = await m.histogram("ground_control.heartbeat.ingest.lag");
    expect(lag.count).toBe(3);
    expect(lag.sum).toBeGreaterThan(0);
    expect(await m.sum("ground_control.heartbeat.ingest.queued")).toBe(0);
  });

  it("counts the fleet by health from the database, once per window", async () => {
    const now = clock.now();
    // edge-a..c just reported (10 s interval); d was seen 10 minutes ago, e two hours ago; the rest never.
    await handle.db
      .update(satellites)
      .set({ lastSeen: new Date(now.getTime() - 600_000), heartbeatIntervalSeconds: 10 })
      .where(eq(satellites.name, "edge-d"));
    await handle.db
      .update(satellites)
      .set({ lastSeen: new Date(now.getTime() - 7_200_000) })
      .where(eq(satellites.name, "edge-e"));
    await seedSatellites(handle.db, ["edge-new"]);
    expect(await countByHealth(handle.db, now)).toEqual({ online: 3, stale: 1, offline: 1, never_seen: 1 });

    let reads = 0;
    const counting = {
      execute: (query: Parameters<typeof handle.db.execute>[0]) => (reads++, handle.db.execute(query)),
    } as unknown as typeof handle.db;
    const stop = observeFleetHealth(counting, { now: clock.now, ttlMs: 60_000 });
    try {
      for (const [health, n] of Object.entries({ online: 3, stale: 1, offline: 1, never_seen: 1 })) {
        expect(await m.sum("ground_control.satellites.health", { "satellite.health": health })).toBe(n);
      }
      expect(reads).toBe(1);
    } finally {
      stop();
    }
  });

  it("counts the fleet by drift verdict through the drift reader", async () => {
    // From the previous tests: edge-a..c reported and want nothing; edge-d, edge-e (last_seen set
    // by hand, no heartbeat row) and edge-new have no heartbeat to judge.
    expect(await countByDrift(module.drift)).toEqual({
      in_sync: 3,
      converging: 0,
      failing: 0,
      stale: 0,
      never_seen: 3,
    });
    const stop = observeFleetDrift(module.drift);
    try {
      expect(await m.sum("ground_control.satellites.drift", { "satellite.drift": "in_sync" })).toBe(3);
      expect(await m.sum("ground_control.satellites.drift", { "satellite.drift": "never_seen" })).toBe(3);
      expect(await m.sum("ground_control.satellites.drift", { "satellite.drift": "failing" })).toBe(0);
    } finally {
      stop();
    }
  });
});
