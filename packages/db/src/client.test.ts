import { eq } from "drizzle-orm";
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
    const [cfg] = await handle.db.insert(configs).values({ name: "default", config: { app_config: {} } }).returning();
    await handle.db.insert(satellites).values({ name: "edge-1", configId: cfg.id, selectors: ["docker:label:app:sat"] });
    const [row] = await handle.db.select().from(satellites).where(eq(satellites.name, "edge-1"));
    expect(row).toMatchObject({ region: "default", selectors: ["docker:label:app:sat"], lastSeen: null });
    await expect(handle.db.insert(satellites).values({ name: "edge-1", configId: cfg.id })).rejects.toThrow();
  });

  it("runs a locked job and reports when the lock is free", async () => {
    const ran = await withAdvisoryLock(handle.db, LockKey.HeartbeatRetention, async () => "ran");
    expect(ran).toBe("ran");
  });
});
