import { readFile } from "node:fs/promises";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemoryDatabase, type DatabaseHandle } from "./client.js";
import { withAdvisoryLock, LockKey } from "./advisory-lock.js";
import { configs, satellites } from "./schema/index.js";

describe("embedded database", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
  });
  afterAll(async () => handle?.close());

  it("applies the migrations and enforces constraints", async () => {
    const [cfg] = await handle.db
      .insert(configs)
      .values({ name: "default", config: { app_config: {} } })
      .returning();
    await handle.db
      .insert(satellites)
      .values({ name: "edge-1", configId: cfg.id, selectors: ["docker:label:app:sat"] });
    const [row] = await handle.db.select().from(satellites).where(eq(satellites.name, "edge-1"));
    expect(row).toMatchObject({ region: "default", selectors: ["docker:label:app:sat"], lastSeen: null });
    await expect(handle.db.insert(satellites).values({ name: "edge-1", configId: cfg.id })).rejects.toThrow();
  });

  it("starts from a cluster every migration has run on, each recorded once", async () => {
    const journal = JSON.parse(await readFile(new URL("../drizzle/meta/_journal.json", import.meta.url), "utf8")) as {
      entries: { when: number }[];
    };
    const applied = (await handle.db.execute(
      sql`select created_at from drizzle.__drizzle_migrations order by id`,
    )) as unknown as { rows: { created_at: string }[] };
    expect(applied.rows.map((r) => Number(r.created_at))).toEqual(journal.entries.map((e) => e.when));
  });

  it("runs a locked job and reports when the lock is free", async () => {
    const ran = await withAdvisoryLock(handle.db, LockKey.HeartbeatRetention, async () => "ran");
    expect(ran).toBe("ran");
  });
});
