// Keeping satellites' robots from expiring (ROBOT_DURATION_DAYS). Harbor's RefreshSec (PATCH
// /robots/{id}) replaces the secret only; it never moves `expires_at`. UpdateRobot (PUT) does when
// the body's `duration` differs from the stored one: Harbor sets expires_at = creation_time +
// duration days (also for an expired robot, whose secret then works again). So a robot is renewed
// by a PUT with duration = days since creation + ROBOT_DURATION_DAYS, which lands expires_at at
// least ROBOT_DURATION_DAYS from now.
//
// Only EnsureRobot renews (it PUTs anyway when permissions change, in the same call): robot PUTs
// replace the whole permission list, and EnsureRobot runs from the fleet's `sync-robot` outbox
// row, one at a time per satellite, so two PUTs of one robot never race. The sweep below therefore
// does not call Harbor itself: it queues `sync-robot` for satellites whose robot expires within
// the window, and the fleet's publisher runs EnsureRobot for them.
import { and, eq, isNotNull, lt } from "drizzle-orm";
import { robotAccounts, type Database } from "@harbor-satellite/db";
import { fleetSatellites, requestRobotSyncs } from "@harbor-satellite/fleet";
import type { Robot } from "@harbor-satellite/harbor";

const DAY_SECONDS = 86_400;
/** Harbor's largest duration: 1…2³¹−2 days. */
const MAX_DURATION_DAYS = 2_147_483_646;

export interface RenewalPolicy {
  /** ROBOT_DURATION_DAYS; -1 never expires. */
  durationDays: number;
  /** Renew once fewer than this many days remain (≤ durationDays, so a renewal ends the window). */
  withinDays: number;
}

/** The window: half the lifetime by default, never more than the lifetime itself. */
export function renewalPolicy(durationDays: number, withinDays?: number): RenewalPolicy {
  if (durationDays === -1) return { durationDays, withinDays: Number.POSITIVE_INFINITY };
  const wanted = withinDays ?? Math.ceil(durationDays / 2);
  return { durationDays, withinDays: Math.max(0, Math.min(wanted, durationDays)) };
}

/**
 * The duration to PUT so the robot lives on, or undefined when it needs no renewal: it never
 * expires, or more than `withinDays` remain. With durationDays -1 an expiring robot becomes
 * never-expiring. Never shortens a robot.
 */
export function renewedDuration(
  robot: Pick<Robot, "expires_at" | "creation_time" | "duration">,
  policy: RenewalPolicy,
  now: Date,
): number | undefined {
  const expires = robot.expires_at;
  if (expires === undefined || expires <= 0) return undefined;
  if (policy.durationDays === -1) return -1;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (expires - nowSeconds >= policy.withinDays * DAY_SECONDS) return undefined;
  const parsed = Date.parse(robot.creation_time ?? "");
  const created = Number.isNaN(parsed) ? expires - (robot.duration ?? 0) * DAY_SECONDS : Math.floor(parsed / 1000);
  const days = Math.min(
    MAX_DURATION_DAYS,
    Math.max(0, Math.ceil((nowSeconds - created) / DAY_SECONDS)) + policy.durationDays,
  );
  return days > (robot.duration ?? 0) ? days : undefined;
}

/**
 * Queues `sync-robot` for every satellite whose robot expires within the window (or at all, with
 * durationDays -1). A row already queued is left as it is. Returns the satellites queued.
 */
export async function requestRobotRenewals(db: Database, policy: RenewalPolicy, now: Date): Promise<string[]> {
  const expiring =
    policy.withinDays === Number.POSITIVE_INFINITY
      ? isNotNull(robotAccounts.expiresAt)
      : and(
          isNotNull(robotAccounts.expiresAt),
          lt(robotAccounts.expiresAt, new Date(now.getTime() + policy.withinDays * DAY_SECONDS * 1000)),
        );
  const rows = await db
    .select({ name: fleetSatellites.name })
    .from(robotAccounts)
    .innerJoin(fleetSatellites, eq(fleetSatellites.id, robotAccounts.satelliteId))
    .where(expiring)
    .orderBy(fleetSatellites.name);
  const names = rows.map((r) => r.name);
  await requestRobotSyncs(db, names);
  return names;
}
