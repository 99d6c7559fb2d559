// The ingest statement's generic plan (the one a prepared statement settles on) at a fleet size
// where PostgreSQL's estimates used to pick a sequential scan of `satellites`: every satellite
// must be reached by primary key, and no nested loop may rescan a CTE (quadratic in the batch).
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction, openDatabase, rowsOf, type DatabaseHandle } from "@harbor-satellite/db";
import { startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { ingestStatement, type PendingHeartbeat } from "./ingest-writer.js";
import { heartbeatRow, seedSatellites } from "./testing.js";

const FLEET = 5_000;

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Parent Relationship"?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const row = heartbeatRow({
  imageCount: 1,
  cachedImages: [{ reference: "registry.local/library/app:1", sizeBytes: 1 }],
});

describe("heartbeat ingest plan on PostgreSQL", () => {
  let pg: PostgresServer;
  let handle: DatabaseHandle;
  let ids: number[];

  beforeAll(async () => {
    pg = await startPostgres();
    handle = await openDatabase({ url: await pg.createDatabase("heartbeat_plan") });
    ids = [
      ...(
        await seedSatellites(
          handle.db,
          Array.from({ length: FLEET }, (_, i) => `plan-${i}`),
        )
      ).values(),
    ];
    await handle.db.execute(sql`analyze satellites`);
  });
  afterAll(async () => {
    await handle?.close();
    await pg?.stop();
  });

  async function genericPlan(batch: number): Promise<PlanNode> {
    const items: PendingHeartbeat[] = Array.from({ length: batch }, (_, i) => ({ satelliteId: ids[i], row }));
    const query = new PgDialect().sqlToQuery(ingestStatement(items, new Date()));
    const literals = query.params.map((p) => `'${String(p).replace(/'/g, "''")}'`).join(", ");
    return inTransaction(handle.db, "ingest plan", async (tx) => {
      await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
      await tx.execute(sql.raw(`prepare ingest_plan as ${query.sql}`));
      const result = await tx.execute(sql.raw(`explain (format json) execute ingest_plan(${literals})`));
      await tx.execute(sql`deallocate ingest_plan`);
      return rowsOf<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(result)[0]["QUERY PLAN"][0].Plan;
    });
  }

  for (const batch of [1, 50, 1_000])
    it(`reaches satellites by primary key and never rescans a CTE (batch of ${batch})`, async () => {
      const all = nodes(await genericPlan(batch));
      const onSatellites = all.filter((n) => n["Relation Name"] === "satellites" && n["Node Type"] !== "ModifyTable");
      expect(onSatellites.length).toBeGreaterThanOrEqual(2);
      for (const n of onSatellites) expect(n["Node Type"]).toMatch(/^Index (Only )?Scan$/);
      for (const loop of all.filter((n) => n["Node Type"] === "Nested Loop"))
        for (const child of loop.Plans ?? [])
          if (child["Parent Relationship"] === "Inner") expect(child["Node Type"]).not.toBe("CTE Scan");
    });
});
