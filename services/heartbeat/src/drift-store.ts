// Reads for the drift view: satellites in byte order of their names (keyset: `name > cursor`, on
// the `satellites_name_c_idx` index), each with its latest heartbeat's digest, cached images and
// errors, and the satellite state Ground Control serves it (digest and when it was stored). The
// fleet's side (groups, replication interval, pending publishes) comes from the fleet's query
// module, for the same rows.
//
// Filters in SQL: region, group, name prefix (a range of the index), and the drift state as far
// as SQL can tell it: exactly for STALE and NEVER_SEEN (the health rule), as a superset of the
// candidates for IN_SYNC, CONVERGING and FAILING (online, plus what the verdict needs of the
// digests and errors); drift.ts decides those.
import { and, count, eq, sql, type SQL } from "drizzle-orm";
import { heartbeats, type Executor } from "@harbor-satellite/db";
import { fleetSatellites, satelliteInGroup, satellitePublishPending } from "@harbor-satellite/fleet";
import { storedSatelliteStates } from "@harbor-satellite/registry";
import { DriftState, Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { healthCondition } from "./store.js";

export interface DriftFilter {
  state: DriftState;
  /** "" for every region. */
  region: string;
  /** "" for every group. */
  group: string;
  /** The group's row id (groupIdByName), when resolved: pages then plan with that group's size. */
  groupId?: number;
  /** "" for every name. */
  prefix: string;
}

export interface DriftRow {
  id: number;
  name: string;
  region: string;
  createdAt: Date;
  lastSeen: Date | null;
  intervalSeconds: number | null;
  /** The latest heartbeat's part the verdict needs; null when never seen. */
  latest: {
    stateDigest: string;
    cachedImages: { reference: string }[];
    errors: { reference: string; message: string }[];
  } | null;
  /** G; null before the first satellite state was stored. */
  stateDigest: string | null;
  stateStoredAt: Date | null;
}

/** Whether SQL decides the state filter exactly (so a page fills in one read, and totals are exact). */
export function exactInSql(state: DriftState): boolean {
  return state === DriftState.UNSPECIFIED || state === DriftState.STALE || state === DriftState.NEVER_SEEN;
}

const nameC = sql`${fleetSatellites.name} collate "C"`;

/** The first name after every name starting with `prefix` (names are ASCII). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function stateCondition(state: DriftState, now: Date): SQL | undefined {
  const online = healthCondition(Health.ONLINE, now);
  switch (state) {
    case DriftState.STALE:
      return healthCondition(Health.STALE, now);
    case DriftState.NEVER_SEEN:
      return healthCondition(Health.NEVER_SEEN, now);
    case DriftState.IN_SYNC:
      // Judged (R == G, or R empty) and no error: drift.ts still compares the images.
      return and(
        online,
        sql`${heartbeats.errors} = '[]'::jsonb`,
        sql`(${heartbeats.stateDigest} = ${storedSatelliteStates.manifestDigest} or ${heartbeats.stateDigest} = '')`,
      );
    case DriftState.CONVERGING:
      // Not current, or R empty (images decide), or a publish pending.
      return and(
        online,
        sql`(${heartbeats.stateDigest} is distinct from ${storedSatelliteStates.manifestDigest} or ${heartbeats.stateDigest} = '' or ${satellitePublishPending()})`,
      );
    case DriftState.FAILING:
      return online;
    default:
      return undefined;
  }
}

function filterCondition(filter: DriftFilter, now: Date, withState: boolean): SQL | undefined {
  return and(
    filter.region ? eq(fleetSatellites.region, filter.region) : undefined,
    filter.group ? satelliteInGroup(filter.groupId === undefined ? filter.group : { id: filter.groupId }) : undefined,
    filter.prefix ? sql`${nameC} >= ${filter.prefix} and ${nameC} < ${prefixEnd(filter.prefix)}` : undefined,
    withState ? stateCondition(filter.state, now) : undefined,
  );
}

const columns = {
  id: fleetSatellites.id,
  name: fleetSatellites.name,
  region: fleetSatellites.region,
  createdAt: fleetSatellites.createdAt,
  lastSeen: fleetSatellites.lastSeen,
  intervalSeconds: fleetSatellites.heartbeatIntervalSeconds,
  heartbeatId: heartbeats.id,
  reportedDigest: heartbeats.stateDigest,
  cachedImages: heartbeats.cachedImages,
  errors: heartbeats.errors,
  stateDigest: storedSatelliteStates.manifestDigest,
  stateStoredAt: storedSatelliteStates.updatedAt,
};

function select(db: Executor) {
  return db
    .select(columns)
    .from(fleetSatellites)
    .leftJoin(heartbeats, eq(heartbeats.id, fleetSatellites.latestHeartbeatId))
    .leftJoin(storedSatelliteStates, eq(storedSatelliteStates.satellite, fleetSatellites.name));
}

type Selected = Awaited<ReturnType<ReturnType<typeof select>["execute"]>>[number];

function toRow(r: Selected): DriftRow {
  return {
    id: r.id,
    name: r.name,
    region: r.region,
    createdAt: r.createdAt,
    lastSeen: r.lastSeen,
    intervalSeconds: r.intervalSeconds,
    latest:
      r.heartbeatId === null
        ? null
        : { stateDigest: r.reportedDigest ?? "", cachedImages: r.cachedImages ?? [], errors: r.errors ?? [] },
    stateDigest: r.stateDigest,
    stateStoredAt: r.stateStoredAt,
  };
}

/** Up to `limit` satellites matching `filter` whose names come after `after` (byte order). */
export async function readDriftRows(
  db: Executor,
  filter: DriftFilter,
  after: string | undefined,
  limit: number,
  now: Date,
): Promise<DriftRow[]> {
  const rows = await select(db)
    .where(and(filterCondition(filter, now, true), after === undefined ? undefined : sql`${nameC} > ${after}`))
    .orderBy(nameC)
    .limit(limit);
  return rows.map(toRow);
}

/** One satellite's row; undefined when unknown. */
export async function readDriftRow(db: Executor, name: string): Promise<DriftRow | undefined> {
  const [row] = await select(db).where(eq(fleetSatellites.name, name));
  return row ? toRow(row) : undefined;
}

/** How many satellites match `filter`; only for filters SQL decides exactly (exactInSql). */
export async function countDriftRows(db: Executor, filter: DriftFilter, now: Date): Promise<number> {
  if (!exactInSql(filter.state)) throw new Error(`drift state ${DriftState[filter.state]} cannot be counted in SQL`);
  const where = filterCondition(filter, now, true);
  const [{ total }] = await db.select({ total: count() }).from(fleetSatellites).where(where);
  return Number(total);
}
