import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { heartbeats, LockKey, openDatabase, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { createHeartbeatModule, type HeartbeatModule } from "./index.js";
import { seedSatellites, silentLogger } from "./testing.js";

const DAY = 86400_000;

describe("heartbeat retention with two replicas on one PostgreSQL", () => {
  let pg: PostgresServer;
  let url: string;
  let a: DatabaseHandle;
  let b: DatabaseHandle;
  let replicaA: HeartbeatModule;
  let replicaB: HeartbeatModule;

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase("heartbeat_retention");
    a = await openDatabase({ url });
    b = await openDatabase({ url });
    replicaA = createHeartbeatModule({ db: a.db, logger: silentLogger });
    replicaB = createHeartbeatModule({ db: b.db, logger: silentLogger });
  });
  afterAll(async () => {
    await replicaA?.stop?.();
    await replicaB?.stop?.();
    await a?.close();
    await b?.close();
    await pg?.stop();
  });

  it("lets one replica delete per round while the other skips, and keeps every latest heartbeat", async () => {
    const ids = await seedSatellites(a.db, ["r-1", "r-2"]);
    const now = Date.now();
    for (const id of ids.values()) {
      const rows = await a.db
        .insert(heartbeats)
        .values([30, 20, 10, 1].map((days) => ({ satelliteId: id, receivedAt: new Date(now - days * DAY) })))
        .returning({ id: heartbeats.id });
      await a.db
        .update(satellites)
        .set({ latestHeartbeatId: rows[3].id, lastSeen: new Date(now - DAY) })
        .where(sql`${satellites.id} = ${id}`);
    }

    // Hold replica A's round inside its locked transaction: a third session keeps the
    // heartbeats table share-locked, so A's DELETE waits after A took the advisory lock.
    const blocker = postgres(url, { max: 2, onnotice: () => {} }); // one for the lock, one to watch pg_locks
    const releaseTable = await holdTableLock(blocker);
    const roundA = replicaA.retention.runOnce();
    await waitForAdvisoryLock(blocker);
    const roundB = await replicaB.retention.runOnce();
    releaseTable();
    const resultA = await roundA;
    await blocker.end();

    expect(roundB).toEqual({ ran: false, deleted: 0, more: false });
    expect(resultA).toEqual({ ran: true, deleted: 6, more: false });
    const left = await a.db.select({ id: heartbeats.id }).from(heartbeats);
    expect(left).toHaveLength(2);
    const latest = await a.db.select({ id: satellites.latestHeartbeatId }).from(satellites);
    expect(left.map((r) => r.id).sort()).toEqual(latest.map((r) => r.id).sort());

    // The lock is free again: the next round runs on whichever replica asks.
    expect(await replicaB.retention.runOnce()).toEqual({ ran: true, deleted: 0, more: false });
  });
});

/** Opens a transaction holding SHARE on heartbeats; returns the function that commits it. */
async function holdTableLock(client: postgres.Sql): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  void client.begin(async (tx) => {
    await tx`lock table heartbeats in share mode`;
    locked();
    await released;
  });
  await isLocked;
  return release;
}

async function waitForAdvisoryLock(client: postgres.Sql): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [row] =
      await client`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${LockKey.HeartbeatRetention} and granted`;
    if (row.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("replica A never took the retention lock");
}
