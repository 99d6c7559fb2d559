import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { openDatabase, type DatabaseHandle } from "./client.js";
import { LockKey, withAdvisoryLock } from "./advisory-lock.js";

describe("PostgreSQL database", () => {
  let pg: PostgresServer;
  let a: DatabaseHandle;
  let b: DatabaseHandle;
  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase("db_client");
    a = await openDatabase({ url });
    b = await openDatabase({ url }); // migrations are idempotent: a second replica starts cleanly
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pg?.stop();
  });

  it("applies the same migrations as the embedded database", async () => {
    const rows = await a.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    const names = (rows as unknown as { table_name: string }[]).map((r) => r.table_name);
    expect(names).toEqual(
      expect.arrayContaining([
        "configs",
        "groups",
        "heartbeats",
        "outbox",
        "robot_accounts",
        "satellite_groups",
        "satellites",
        "sessions",
        "users",
        "ztr_tokens",
      ]),
    );
  });

  it("lets only one replica hold a job's advisory lock", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = withAdvisoryLock(a.db, LockKey.HeartbeatRetention, async () => {
      const second = await withAdvisoryLock(b.db, LockKey.HeartbeatRetention, async () => "second ran");
      release();
      return second;
    });
    await held;
    expect(await first).toBeUndefined();
    expect(await withAdvisoryLock(b.db, LockKey.HeartbeatRetention, async () => "free again")).toBe("free again");
  });
});
