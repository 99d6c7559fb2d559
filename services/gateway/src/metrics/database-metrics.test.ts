import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configs, openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { instrumentDatabase, operationOf } from "./database-metrics.js";

describe("database metrics", () => {
  let handle: DatabaseHandle;
  let m: TestMetrics;
  let stop: () => void;

  beforeAll(async () => {
    m = startTestMetrics();
    handle = await openMemoryDatabase();
    stop = instrumentDatabase(handle);
  });
  afterAll(async () => {
    stop?.();
    await handle?.close();
    await m?.stop();
  });

  it("names operations by their first keyword, never by their text", () => {
    expect(operationOf("select 1")).toBe("SELECT");
    expect(operationOf("  insert into x values ($1)")).toBe("INSERT");
    expect(operationOf("frobnicate everything")).toBe("_OTHER");
    expect(operationOf(undefined)).toBe("_OTHER");
  });

  it("times queries and transactions through drizzle, with the SQLSTATE of failures", async () => {
    await handle.db.execute(sql`select 1`);
    await handle.db.insert(configs).values({ name: "metrics-a", config: {} });
    await expect(handle.db.insert(configs).values({ name: "metrics-a", config: {} })).rejects.toThrow();
    await handle.db.transaction(async (tx) => {
      await tx.select().from(configs);
      expect(await m.sum("ground_control.db.client.transactions.active")).toBe(1);
    });
    const base = { "db.system.name": "postgresql", "db.client.connection.pool.name": "ground-control" };
    expect(
      (await m.histogram("db.client.operation.duration", { ...base, "db.operation.name": "SELECT" })).count,
    ).toBeGreaterThanOrEqual(2);
    expect((await m.histogram("db.client.operation.duration", { "db.operation.name": "INSERT" })).count).toBe(2);
    const [duplicate] = await m.points("db.client.operation.duration", { "error.type": "23505" });
    expect(duplicate.attributes).toMatchObject({ "db.operation.name": "INSERT", "db.response.status_code": "23505" });
    expect(await m.sum("ground_control.db.client.transactions.active")).toBe(0);
    expect(await m.sum("ground_control.db.client.operations.active")).toBe(0);
    expect(await m.sum("db.client.connection.max", base)).toBe(1);
  });
});
