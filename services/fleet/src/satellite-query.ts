// Fleet's read surface over `satellites` for the other services (issue 14 item 4: a table is read
// outside its owner only through a query module the owner exports). The heartbeat service's status
// and drift views, the registry's robots, identity's ZTR tokens and the gateway's authenticator
// read satellites through what is here, never through the table itself; nothing here writes.
import { QueryBuilder } from "drizzle-orm/pg-core";
import { eq } from "drizzle-orm";
import { satellites, type Executor } from "@harbor-satellite/db";

/**
 * The satellites as other services may select from or join them: a subquery over `satellites`
 * aliased `satellites`, with the columns they read and nothing of the fleet's own (config, selectors).
 * PostgreSQL pulls a plain subquery like this one up into the outer query, so a read through it
 * plans as a read of the table (same indexes, including `satellites_name_c_idx` on `name collate "C"`),
 * and SQL written against `"satellites"."id"` (satelliteInGroup, satellitePublishPending) still applies.
 * The heartbeat columns (last_seen, heartbeat_interval_seconds, latest_heartbeat_id) are the heartbeat
 * service's, written by its ingest.
 */
export const fleetSatellites = new QueryBuilder()
  .select({
    id: satellites.id,
    name: satellites.name,
    region: satellites.region,
    createdAt: satellites.createdAt,
    lastSeen: satellites.lastSeen,
    heartbeatIntervalSeconds: satellites.heartbeatIntervalSeconds,
    latestHeartbeatId: satellites.latestHeartbeatId,
  })
  .from(satellites)
  .as("satellites");

/** The row id of the satellite with this name; undefined when the fleet has none. */
export async function satelliteIdByName(db: Executor, name: string): Promise<number | undefined> {
  const [row] = await db.select({ id: satellites.id }).from(satellites).where(eq(satellites.name, name));
  return row?.id;
}

/** The name of the satellite with this row id; undefined when it is gone. */
export async function satelliteNameById(db: Executor, id: number): Promise<string | undefined> {
  const [row] = await db.select({ name: satellites.name }).from(satellites).where(eq(satellites.id, id));
  return row?.name;
}
