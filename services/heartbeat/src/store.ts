// Reads for the status rpcs, and the name → id lookup for ingest. The health filter is SQL (the
// rule of health.ts over last_seen and the satellite's interval), so listing the stale
// satellites of a large fleet reads one page, not the fleet.
import { and, asc, count, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { heartbeats, type Executor } from "@harbor-satellite/db";
import { fleetSatellites } from "@harbor-satellite/fleet";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { DEFAULT_INTERVAL_SECONDS, MISSED_INTERVALS } from "./health.js";
import type { HeartbeatRow } from "./heartbeat-row.js";

/** The latest heartbeat as stored: the ingested row less what the satellites table keeps. */
export type LatestHeartbeat = Omit<HeartbeatRow, "name" | "intervalSeconds" | "cachedImages"> & {
  /** Omitted from lists, where a page of full image lists could run to hundreds of megabytes. */
  cachedImages?: HeartbeatRow["cachedImages"];
};

export interface StatusRow {
  name: string;
  region: string;
  lastSeen: Date | null;
  intervalSeconds: number | null;
  latest: LatestHeartbeat | null;
}

export interface StatusFilter {
  health: Health;
  /** "" for every region. */
  region: string;
  limit: number;
  offset: number;
}

const LOOKUP_CHUNK = 10_000;

/** Ids of the satellites with these names; unknown names are absent from the map. */
export async function lookupSatelliteIds(db: Executor, names: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (let i = 0; i < names.length; i += LOOKUP_CHUNK) {
    const rows = await db
      .select({ id: fleetSatellites.id, name: fleetSatellites.name })
      .from(fleetSatellites)
      .where(inArray(fleetSatellites.name, names.slice(i, i + LOOKUP_CHUNK)));
    for (const row of rows) found.set(row.name, row.id);
  }
  return found;
}

/** SQL condition selecting the satellites with this health at `now`; undefined for any health. */
export function healthCondition(health: Health, now: Date): SQL | undefined {
  // Same rule as healthOf: online while last_seen >= now - 3 × interval (default 30 s).
  const cutoff = sql`${now.toISOString()}::timestamptz - make_interval(secs => ${sql.raw(String(MISSED_INTERVALS))} * coalesce(${fleetSatellites.heartbeatIntervalSeconds}, ${sql.raw(String(DEFAULT_INTERVAL_SECONDS))}))`;
  switch (health) {
    case Health.ONLINE:
      return sql`${fleetSatellites.lastSeen} >= ${cutoff}`;
    case Health.STALE:
      return sql`${fleetSatellites.lastSeen} < ${cutoff}`;
    case Health.NEVER_SEEN:
      return isNull(fleetSatellites.lastSeen);
    default:
      return undefined;
  }
}

const latestColumns = {
  id: heartbeats.id,
  reportedAt: heartbeats.reportedAt,
  activity: heartbeats.activity,
  stateReportInterval: heartbeats.stateReportInterval,
  stateDigest: heartbeats.stateDigest,
  configDigest: heartbeats.configDigest,
  cpuPercent: heartbeats.cpuPercent,
  memoryUsedBytes: heartbeats.memoryUsedBytes,
  storageUsedBytes: heartbeats.storageUsedBytes,
  lastSyncDurationMs: heartbeats.lastSyncDurationMs,
  imageCount: heartbeats.imageCount,
  errors: heartbeats.errors,
};

const satelliteColumns = {
  name: fleetSatellites.name,
  region: fleetSatellites.region,
  lastSeen: fleetSatellites.lastSeen,
  intervalSeconds: fleetSatellites.heartbeatIntervalSeconds,
};

/** One satellite's status row, with its full latest heartbeat; undefined when unknown. */
export async function getStatus(db: Executor, name: string): Promise<StatusRow | undefined> {
  const [row] = await db
    .select({ ...satelliteColumns, latest: { ...latestColumns, cachedImages: heartbeats.cachedImages } })
    .from(fleetSatellites)
    .leftJoin(heartbeats, eq(heartbeats.id, fleetSatellites.latestHeartbeatId))
    .where(eq(fleetSatellites.name, name));
  return row ? toStatusRow(row) : undefined;
}

/** One page of status rows ordered by name, and how many match in all. */
export async function listStatuses(
  db: Executor,
  filter: StatusFilter,
  now: Date,
): Promise<{ rows: StatusRow[]; total: number }> {
  const where = and(
    healthCondition(filter.health, now),
    filter.region ? eq(fleetSatellites.region, filter.region) : undefined,
  );
  const [rows, [{ total }]] = await Promise.all([
    db
      .select({ ...satelliteColumns, latest: latestColumns })
      .from(fleetSatellites)
      .leftJoin(heartbeats, eq(heartbeats.id, fleetSatellites.latestHeartbeatId))
      .where(where)
      .orderBy(asc(fleetSatellites.name))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ total: count() }).from(fleetSatellites).where(where),
  ]);
  return { rows: rows.map(toStatusRow), total };
}

type SelectedRow = Omit<StatusRow, "latest"> & {
  latest: (Omit<LatestHeartbeat, "errors"> & { id: number | null; errors: LatestHeartbeat["errors"] }) | null;
};

function toStatusRow(row: SelectedRow): StatusRow {
  const { latest, ...satellite } = row;
  if (!latest || latest.id === null) return { ...satellite, latest: null };
  const { id: _id, ...report } = latest;
  return { ...satellite, latest: report };
}
