import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createHeartbeatModule, type HeartbeatModule } from "./index.js";
import { admin, clientAs, satellite, seedSatellites, silentLogger } from "./testing.js";

describe("heartbeat ingest on PostgreSQL", () => {
  let pg: PostgresServer;
  let handle: DatabaseHandle;
  let module: HeartbeatModule;
  const names = Array.from({ length: 200 }, (_, i) => `sat-${i}`);

  beforeAll(async () => {
    pg = await startPostgres();
    handle = await openDatabase({ url: await pg.createDatabase("heartbeat_ingest") });
    module = createHeartbeatModule({
      db: handle.db,
      logger: silentLogger,
      ingest: { maxBatch: 64, maxInFlight: 3, lingerMs: 2 },
    });
    await seedSatellites(handle.db, names);
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
    await pg?.stop();
  });

  it("commits concurrent heartbeats in shared batches, each satellite's newest as its latest", async () => {
    const rounds = 5;
    const calls = [];
    for (let round = 0; round < rounds; round++) {
      for (const name of names)
        calls.push(
          clientAs(module, satellite(name)).sync({
            satellite: name,
            stateReportInterval: "@every 15s",
            imageCount: round,
            cachedImages: [{ reference: `r/${name}:${round}`, sizeBytes: 1n }],
          }),
        );
    }
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);

    const stats = module.stats();
    expect(stats.rows).toBe(rounds * names.length);
    expect(stats.batches).toBeLessThan(stats.rows); // group commit: batches hold several rows
    expect(stats.largestBatch).toBeLessThanOrEqual(64);

    const [counts] = (await handle.db.execute(sql`
      select count(*)::int as rows, count(distinct satellite_id)::int as satellites from heartbeats`)) as unknown as {
      rows: number;
      satellites: number;
    }[];
    expect(counts).toEqual({ rows: rounds * names.length, satellites: names.length });
    const wrongLatest = (await handle.db.execute(sql`
      select s.name from satellites s
      where s.latest_heartbeat_id is distinct from (select max(h.id) from heartbeats h where h.satellite_id = s.id)
         or s.heartbeat_interval_seconds <> 15 or s.last_seen is null`)) as unknown as unknown[];
    expect(wrongLatest).toEqual([]);

    const online = await clientAs(module, admin).listSatelliteStatuses({
      health: Health.ONLINE,
      page: { pageSize: 1000 },
    });
    expect(online.statuses).toHaveLength(names.length);
  });

  it("writes the rows of a batch even when one satellite of it was deleted meanwhile", async () => {
    const ids = await seedSatellites(handle.db, ["doomed", "survivor"]);
    await clientAs(module, admin).sync({ satellite: "doomed" }); // caches its id
    await handle.db.execute(sql`delete from satellites where id = ${ids.get("doomed")}`);
    const [doomed, survivor] = await Promise.allSettled([
      clientAs(module, admin).sync({ satellite: "doomed" }),
      clientAs(module, admin).sync({ satellite: "survivor" }),
    ]);
    expect(doomed.status).toBe("rejected");
    expect(survivor.status).toBe("fulfilled");
  });
});
