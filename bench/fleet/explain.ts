// `--explain` of bench/fleet/scale.ts: the statements behind the list calls, captured from the
// services' own store functions (the fleet's satellite store, the drift view's reads) through a
// drizzle logger on a connection of our own, then run again under EXPLAIN (ANALYZE, BUFFERS).
// Prints each statement's execution time and its plan, so a slow page shows where it reads.
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import * as schema from "@harbor-satellite/db";
import type { Database } from "@harbor-satellite/db";
import { DriftState } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { groupIdByName } from "../../services/fleet/src/desired-state-query.js";
import { createSatelliteStore } from "../../services/fleet/src/store/satellite-store.js";
import { countDriftRows, readDriftRows, type DriftFilter } from "../../services/heartbeat/src/drift-store.js";
import { satelliteName } from "../heartbeat/fleet.js";
import { BIG_GROUP, groupName, type FleetShape } from "./seed.js";

interface Captured {
  label: string;
  query: string;
  params: unknown[];
}

export async function explainLists(databaseUrl: string, shape: FleetShape): Promise<string[]> {
  const captured: Captured[] = [];
  let label = "";
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const db = drizzle(client, {
    schema,
    logger: { logQuery: (query, params) => captured.push({ label, query, params }) },
  }) as unknown as Database;
  try {
    const store = createSatelliteStore(db);
    const filter = (f: Partial<DriftFilter>): DriftFilter => ({ state: 0, region: "", group: "", prefix: "", ...f });
    const middle = satelliteName(Math.floor(shape.satellites / 2));
    // The drift reader resolves a group filter's id first, as ListSatellites does.
    const [bigId, smallId] = [await groupIdByName(db, BIG_GROUP), await groupIdByName(db, groupName(7))];
    const cases: [string, () => Promise<unknown>][] = [
      ["ListSatellites, no filter, first page (with its count)", () => store.listSatellites({}, { limit: 100 })],
      ["ListSatellites, no filter, middle", () => store.listSatellites({}, { limit: 100, after: middle, total: 0 })],
      [
        "ListSatellites, region, middle",
        () => store.listSatellites({ region: "region-3" }, { limit: 100, after: middle, total: 0 }),
      ],
      [
        "ListSatellites, fleet-wide group, first page (with its count)",
        () => store.listSatellites({ group: BIG_GROUP }, { limit: 100 }),
      ],
      [
        "ListSatellites, fleet-wide group, middle",
        () => store.listSatellites({ group: BIG_GROUP }, { limit: 100, after: middle, total: 0 }),
      ],
      ["ListSatellites, small group", () => store.listSatellites({ group: groupName(7) }, { limit: 100 })],
      ["ListSatelliteDrift, no filter, middle", () => readDriftRows(db, filter({}), middle, 100, new Date())],
      [
        "ListSatelliteDrift, region, middle",
        () => readDriftRows(db, filter({ region: "region-3" }), middle, 100, new Date()),
      ],
      [
        "ListSatelliteDrift, fleet-wide group, middle",
        () => readDriftRows(db, filter({ group: BIG_GROUP, groupId: bigId }), middle, 100, new Date()),
      ],
      [
        "ListSatelliteDrift, small group",
        () => readDriftRows(db, filter({ group: groupName(7), groupId: smallId }), undefined, 100, new Date()),
      ],
      [
        "ListSatelliteDrift, STALE, middle",
        () => readDriftRows(db, filter({ state: DriftState.STALE }), middle, 100, new Date()),
      ],
      ["ListSatelliteDrift count, region", () => countDriftRows(db, filter({ region: "region-3" }), new Date())],
      [
        "ListSatelliteDrift count, fleet-wide group",
        () => countDriftRows(db, filter({ group: BIG_GROUP, groupId: bigId }), new Date()),
      ],
    ];
    for (const [name, run] of cases) {
      label = name;
      await run();
    }
    const lines: string[] = [];
    for (const c of captured) {
      const plan = await client.unsafe(`explain (analyze, buffers) ${c.query}`, c.params as never[]);
      const text = plan.map((row) => String(Object.values(row)[0]));
      const time = text.find((l) => l.startsWith("Execution Time")) ?? "";
      lines.push(
        `${c.label}: ${time}`,
        `  ${c.query.replace(/\s+/g, " ").slice(0, 400)}`,
        ...text.map((l) => `    ${l}`),
      );
    }
    return lines;
  } finally {
    await client.end({ timeout: 5 });
  }
}
