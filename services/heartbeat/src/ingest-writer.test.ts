import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heartbeats, openMemoryDatabase, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { createHeartbeatWriter } from "./ingest-writer.js";
import { heartbeatRow, manualClock, seedSatellites, silentLogger } from "./testing.js";

describe("heartbeat batch writer", () => {
  let handle: DatabaseHandle;
  let ids: Map<string, number>;
  const clock = manualClock();

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    ids = await seedSatellites(handle.db, ["w-1", "w-2", "w-3"]);
  });
  afterAll(async () => handle?.close());

  it("inserts a batch in one statement and points each satellite at its new row", async () => {
    const write = createHeartbeatWriter(handle.db, clock.now, silentLogger);
    const outcomes = await write([
      {
        satelliteId: ids.get("w-1")!,
        row: heartbeatRow({ activity: "one", intervalSeconds: 10, cachedImages: [{ reference: "r:1", sizeBytes: 7 }] }),
      },
      { satelliteId: ids.get("w-2")!, row: heartbeatRow({ activity: "two", intervalSeconds: null }) },
    ]);
    expect(outcomes).toEqual([
      { heartbeatId: expect.any(Number), receivedAt: clock.now() },
      { heartbeatId: expect.any(Number), receivedAt: clock.now() },
    ]);
    const [one] = await handle.db
      .select()
      .from(satellites)
      .where(eq(satellites.id, ids.get("w-1")!));
    expect(one).toMatchObject({
      lastSeen: clock.now(),
      heartbeatIntervalSeconds: 10,
      latestHeartbeatId: (outcomes[0] as { heartbeatId: number }).heartbeatId,
    });
    const [stored] = await handle.db.select().from(heartbeats).where(eq(heartbeats.id, one.latestHeartbeatId!));
    expect(stored).toMatchObject({
      activity: "one",
      cachedImages: [{ reference: "r:1", sizeBytes: 7 }],
      receivedAt: clock.now(),
    });
  });

  it("reports a satellite that no longer exists without failing the others", async () => {
    const write = createHeartbeatWriter(handle.db, clock.now, silentLogger);
    const outcomes = await write([
      { satelliteId: 999_999, row: heartbeatRow() },
      { satelliteId: ids.get("w-3")!, row: heartbeatRow() },
    ]);
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toMatchObject({ heartbeatId: expect.any(Number) });
  });

  it("isolates a row PostgreSQL refuses, so only its caller fails", async () => {
    const write = createHeartbeatWriter(handle.db, clock.now, silentLogger);
    // Validation rejects NUL characters; here the writer gets one anyway.
    const outcomes = await write([
      { satelliteId: ids.get("w-1")!, row: heartbeatRow({ activity: "bad\0" }) },
      { satelliteId: ids.get("w-2")!, row: heartbeatRow({ activity: "fine" }) },
    ]);
    expect(outcomes[0]).toBeInstanceOf(Error);
    expect(outcomes[1]).toMatchObject({ heartbeatId: expect.any(Number) });
  });
});
