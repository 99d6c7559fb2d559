import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heartbeats, openMemoryDatabase, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { DEFAULT_RETENTION_MS, createRetentionJob } from "./retention.js";
import { manualClock, seedSatellites, silentLogger } from "./testing.js";

const DAY = 86400_000;

describe("heartbeat retention", () => {
  let handle: DatabaseHandle;
  const clock = manualClock(new Date("2026-05-20T00:00:00Z"));

  beforeAll(async () => {
    handle = await openMemoryDatabase();
  });
  afterAll(async () => handle?.close());

  /** Heartbeats at the given ages (days) for a satellite; the newest becomes its latest. */
  async function history(name: string, agesDays: number[]): Promise<number[]> {
    const [id] = (await seedSatellites(handle.db, [name])).values();
    const rows = await handle.db
      .insert(heartbeats)
      .values(agesDays.map((age) => ({ satelliteId: id, receivedAt: new Date(clock.now().getTime() - age * DAY) })))
      .returning({ id: heartbeats.id, receivedAt: heartbeats.receivedAt });
    const newest = rows.reduce((a, b) => (a.receivedAt > b.receivedAt ? a : b));
    await handle.db
      .update(satellites)
      .set({ latestHeartbeatId: newest.id, lastSeen: newest.receivedAt })
      .where(sql`${satellites.id} = ${id}`);
    return rows.map((r) => r.id);
  }

  const remaining = async () =>
    (await handle.db.select({ id: heartbeats.id }).from(heartbeats).orderBy(heartbeats.id)).map((r) => r.id);

  it("deletes heartbeats older than the window in bounded batches, but never a satellite's latest", async () => {
    const active = await history("active", [10, 9, 8, 6, 1, 0]);
    const silent = await history("silent", [30, 20, 12]); // its latest is 12 days old: kept
    const job = createRetentionJob(handle.db, silentLogger, clock.now, { batchSize: 2, maxBatchesPerRound: 1 });

    const first = await job.runOnce();
    expect(first).toEqual({ ran: true, deleted: 2, more: true });
    const second = await job.runOnce();
    expect(second).toEqual({ ran: true, deleted: 2, more: true });
    const third = await job.runOnce();
    expect(third).toEqual({ ran: true, deleted: 1, more: false });
    expect(await remaining()).toEqual([active[3], active[4], active[5], silent[2]]);
    expect(await job.runOnce()).toEqual({ ran: true, deleted: 0, more: false });
  });

  it("keeps a configurable window, seven days by default", async () => {
    expect(DEFAULT_RETENTION_MS).toBe(7 * DAY);
    await handle.db.execute(sql`truncate satellites cascade`);
    const ids = await history("short", [3, 2, 0.5]);
    const job = createRetentionJob(handle.db, silentLogger, clock.now, { retentionMs: DAY });
    expect(await job.runOnce()).toMatchObject({ ran: true, deleted: 2 });
    expect(await remaining()).toEqual([ids[2]]);
  });
});
