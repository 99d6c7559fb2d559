import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "./postgres.js";

describe("startPostgres", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => server?.stop());

  it("runs a real PostgreSQL 15 and creates isolated databases", async () => {
    const url = await server.createDatabase("kit_check");
    const sql = postgres(url, { max: 1 });
    try {
      const [row] = await sql<{ v: string }[]>`select current_setting('server_version_num') as v`;
      expect(Number(row.v)).toBeGreaterThanOrEqual(150000);
      const [db] = await sql<{ d: string }[]>`select current_database() as d`;
      expect(db.d).toBe("kit_check");
    } finally {
      await sql.end();
    }
  });
});
