import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configs, openMemoryDatabase, robotAccounts, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { robotSecretHashes, robotSecretHashesOf } from "./robot-credentials-query.js";

describe("robotSecretHashesOf", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
    const [cfg] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
    for (const [i, previous] of [
      [1, null],
      [2, "old-2"],
    ] as const) {
      const [sat] = await handle.db
        .insert(satellites)
        .values({ name: `edge-${i}`, region: "eu", configId: cfg.id })
        .returning();
      await handle.db.insert(robotAccounts).values({
        satelliteId: sat.id,
        robotName: `robot$edge-${i}`,
        harborId: i,
        secretHash: `hash-${i}`,
        previousSecretHash: previous,
        projects: ["satellite"],
      });
    }
  });
  afterAll(async () => handle?.close());

  it("reads many robots' hashes at once, as robotSecretHashes reads one, leaving out robots that do not exist", async () => {
    const names = ["robot$edge-1", "robot$edge-2", "robot$gone"];
    const many = await robotSecretHashesOf(handle.db, names);
    expect(Object.fromEntries(many)).toEqual({
      "robot$edge-1": ["hash-1"],
      "robot$edge-2": ["hash-2", "old-2"],
    });
    for (const name of names) expect(many.get(name) ?? []).toEqual(await robotSecretHashes(handle.db, name));
    expect((await robotSecretHashesOf(handle.db, [])).size).toBe(0);
  });

  it("matches names exactly, whatever characters they hold (the names travel as one JSON parameter)", async () => {
    const odd = 'robot$edge-"q\\,{x}';
    const [cfg] = await handle.db.select().from(configs).limit(1);
    const [sat] = await handle.db
      .insert(satellites)
      .values({ name: "edge-odd", region: "eu", configId: cfg.id })
      .returning();
    await handle.db
      .insert(robotAccounts)
      .values({ satelliteId: sat.id, robotName: odd, harborId: 3, secretHash: "hash-odd", projects: ["satellite"] });
    const found = await robotSecretHashesOf(handle.db, [odd, 'robot$edge-"q', "robot$edge-1"]);
    expect(Object.fromEntries(found)).toEqual({ [odd]: ["hash-odd"], "robot$edge-1": ["hash-1"] });
  });
});
