// HEARTBEAT_RETENTION_HOURS reaches the heartbeat module's retention job built by the gateway:
// a round deletes the heartbeats older than that many hours, and keeps each satellite's latest.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heartbeats, openMemoryDatabase, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import type { HeartbeatModule } from "@harbor-satellite/heartbeat";
import { createLogger } from "@harbor-satellite/telemetry";
import { parseConfig } from "./config.js";
import { buildModules } from "./modules.js";

const HOUR = 3600_000;

describe("HEARTBEAT_RETENTION_HOURS", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
  });
  afterAll(async () => handle?.close());

  it("sets the window of the retention job the gateway builds", async () => {
    const config = parseConfig(["--services", "heartbeat"], {
      HEARTBEAT_RETENTION_HOURS: "2",
      GC_INTERNAL_TOKEN: "test-token",
    });
    if (config === "help") throw new Error("help");
    const { modules } = await buildModules(config, handle.db, createLogger({ name: "gc", level: "silent" }));
    try {
      const heartbeat = modules.find((m): m is HeartbeatModule => "retention" in m);
      if (!heartbeat) throw new Error("no heartbeat module built");
      await handle.db.execute(sql`insert into configs (name, config) values ('retention-test', '{}')`);
      const [{ id }] = await handle.db
        .insert(satellites)
        .values({ name: "edge-1", configId: sql`(select id from configs where name = 'retention-test')` })
        .returning({ id: satellites.id });
      const now = Date.now();
      const rows = await handle.db
        .insert(heartbeats)
        .values([3, 2.5, 1, 0].map((hours) => ({ satelliteId: id, receivedAt: new Date(now - hours * HOUR) })))
        .returning({ id: heartbeats.id });
      await handle.db
        .update(satellites)
        .set({ latestHeartbeatId: rows[3].id })
        .where(sql`${satellites.id} = ${id}`);

      expect(await heartbeat.retention.runOnce()).toMatchObject({ ran: true, deleted: 2 });
      const left = await handle.db.select({ id: heartbeats.id }).from(heartbeats).orderBy(heartbeats.id);
      expect(left.map((r) => r.id)).toEqual([rows[2].id, rows[3].id]);
    } finally {
      await Promise.all(modules.map((m) => m.stop?.()));
    }
  });
});
