// `ground_control.satellites.health`: the fleet by health, counted by one SQL statement when
// metrics are collected (a scrape), kept for `ttlMs` so scrapes in between (several Prometheus
// servers) cost nothing; never computed per heartbeat. The classes refine health.ts's rule:
//   online      seen within three of its heartbeat intervals (the API's ONLINE)
//   stale       not seen within three intervals, but within the last hour
//   offline     not seen for more than an hour (and more than three intervals)
//   never_seen  no heartbeat yet
// stale + offline is the API's STALE.
import { sql } from "drizzle-orm";
import { rowsOf, type Executor } from "@harbor-satellite/db";
import { fleetSatellites } from "@harbor-satellite/fleet";
import { cachedValue, instrumentScope } from "@harbor-satellite/telemetry/metrics";
import { DEFAULT_INTERVAL_SECONDS, MISSED_INTERVALS } from "../health.js";

/** Not seen for this long: offline rather than stale. */
export const OFFLINE_AFTER_MS = 3_600_000;

export const HEALTH_CLASSES = ["online", "stale", "offline", "never_seen"] as const;
export type HealthClass = (typeof HEALTH_CLASSES)[number];

const gauge = instrumentScope("@harbor-satellite/heartbeat").observableGauge("ground_control.satellites.health", {
  unit: "{satellite}",
  description:
    "Satellites by health: online (seen within 3 heartbeat intervals), stale (not, but within the last hour), offline (not for an hour), never_seen.",
});

const ATTRIBUTES = Object.fromEntries(HEALTH_CLASSES.map((h) => [h, { "satellite.health": h }])) as Record<
  HealthClass,
  { "satellite.health": HealthClass }
>;

/** The fleet's count per class at `now`. */
export async function countByHealth(db: Executor, now: Date): Promise<Record<HealthClass, number>> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const staleAt = sql`${at} - make_interval(secs => ${sql.raw(String(MISSED_INTERVALS))} * coalesce(heartbeat_interval_seconds, ${sql.raw(String(DEFAULT_INTERVAL_SECONDS))}))`;
  const offlineAt = sql`${at} - make_interval(secs => ${OFFLINE_AFTER_MS / 1000})`;
  const [row] = rowsOf<Record<HealthClass, number | string>>(
    await db.execute(sql`
      select count(*) filter (where last_seen >= ${staleAt}) as online,
             count(*) filter (where last_seen < ${staleAt} and last_seen >= ${offlineAt}) as stale,
             count(*) filter (where last_seen < ${staleAt} and last_seen < ${offlineAt}) as offline,
             count(*) filter (where last_seen is null) as never_seen
      from ${fleetSatellites}`),
  );
  return Object.fromEntries(HEALTH_CLASSES.map((h) => [h, Number(row?.[h] ?? 0)])) as Record<HealthClass, number>;
}

export interface FleetGaugeOptions {
  now?: () => Date;
  /** How long one count serves collections (default 15 s). */
  ttlMs?: number;
}

/** Reports the fleet's health at every collection until the returned function is called. */
export function observeFleetHealth(db: Executor, options: FleetGaugeOptions = {}): () => void {
  const now = options.now ?? (() => new Date());
  const counts = cachedValue(options.ttlMs ?? 15_000, () => countByHealth(db, now()));
  return gauge.addCallback(async (result) => {
    const current = await counts();
    for (const health of HEALTH_CLASSES) result.observe(current[health], ATTRIBUTES[health]);
  });
}
