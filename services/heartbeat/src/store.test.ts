import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemoryDatabase, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { healthOf } from "./health.js";
import { healthCondition, listStatuses, lookupSatelliteIds } from "./store.js";
import { seedSatellites } from "./testing.js";

describe("status store", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
  });
  afterAll(async () => handle?.close());

  it("filters by health in SQL exactly as the status rule decides", async () => {
    const now = new Date("2026-06-01T12:00:00.000Z");
    const satelliteState = fc.record({
      interval: fc.option(fc.integer({ min: 1, max: 7200 }), { nil: null }),
      // Ages around the boundary (3 intervals, to the millisecond) as well as anywhere.
      age: fc.option(fc.oneof(fc.integer({ min: -5000, max: 30 * 86400 * 1000 }), fc.constantFrom(-1, 0, 1)), {
        nil: null,
      }),
      nearBoundary: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(satelliteState, { minLength: 1, maxLength: 25 }), async (states) => {
        await handle.db.execute(sql`truncate satellites cascade`);
        const names = states.map((_, i) => `s-${String(i).padStart(3, "0")}`);
        await seedSatellites(handle.db, names);
        const expected = new Map<Health, string[]>([
          [Health.ONLINE, []],
          [Health.STALE, []],
          [Health.NEVER_SEEN, []],
        ]);
        for (let i = 0; i < states.length; i++) {
          const { interval, age, nearBoundary } = states[i];
          const ageMs = age === null ? null : nearBoundary ? 3 * (interval ?? 30) * 1000 + Math.sign(age) : age;
          const lastSeen = ageMs === null ? null : new Date(now.getTime() - ageMs);
          await handle.db
            .update(satellites)
            .set({ lastSeen, heartbeatIntervalSeconds: interval })
            .where(sql`${satellites.name} = ${names[i]}`);
          expected.get(healthOf(lastSeen, interval, now))!.push(names[i]);
        }
        for (const [health, want] of expected) {
          const rows = await handle.db
            .select({ name: satellites.name })
            .from(satellites)
            .where(healthCondition(health, now))
            .orderBy(satellites.name);
          expect(rows.map((r) => r.name)).toEqual(want);
          const page = await listStatuses(handle.db, { health, region: "", limit: 1000, offset: 0 }, now);
          expect(page.total).toBe(want.length);
        }
      }),
      { numRuns: 25 },
    );
  });

  it("looks up satellite ids by name, leaving unknown names out", async () => {
    await handle.db.execute(sql`truncate satellites cascade`);
    const ids = await seedSatellites(handle.db, ["one", "two"]);
    const found = await lookupSatelliteIds(handle.db, ["two", "three", "one"]);
    expect(found).toEqual(
      new Map([
        ["one", ids.get("one")],
        ["two", ids.get("two")],
      ]),
    );
  });
});
