// The registry's query module over `robot_accounts` for the other services (issue 14 item 4): the
// one read of a satellite's robot with its credential state, which the gateway's authenticator (by
// robot name), the heartbeat service's credential refresh (by satellite name) and this service's
// robot store (by satellite name) all use, and the credential refresh's two writes to it.
//
// The join's result is a robot account (its Harbor identity, its secret hashes, its refresh state):
// the registry owns that row, so the query lives here; the satellite's name and region come from the
// fleet's `fleetSatellites`, the fleet's read surface over its table.
import { and, eq, sql } from "drizzle-orm";
import { executePrepared, robotAccounts, rowsOf, type Executor } from "@harbor-satellite/db";
import { fleetSatellites } from "@harbor-satellite/fleet";

export interface RobotCredentials {
  satelliteId: number;
  /** The satellite's name and region (the fleet's). */
  satellite: string;
  region: string;
  /** Full name as Harbor returns it, e.g. "robot$edge-1". */
  robotName: string;
  harborId: number;
  projects: string[];
  /** The robot's expiry in Harbor; null when it never expires. */
  expiresAt: Date | null;
  /** scrypt hash of the current secret; never the secret. */
  secretHash: string;
  /** During a credential refresh: the hash of the secret the satellite held before it. */
  previousSecretHash: string | null;
  /** A rotation delivered in a heartbeat answer and not acknowledged yet. */
  pendingRotation: string | null;
  /** When the current secret was issued. */
  secretIssuedAt: Date;
}

/** Which robot: the one of the satellite with this name, or the robot with this full name. */
export type RobotKey = { satellite: string } | { robot: string };

/** The robot and its credential state; undefined when there is none (or no such satellite). */
export async function findRobotCredentials(db: Executor, key: RobotKey): Promise<RobotCredentials | undefined> {
  const [row] = await db
    .select({
      satelliteId: robotAccounts.satelliteId,
      satellite: fleetSatellites.name,
      region: fleetSatellites.region,
      robotName: robotAccounts.robotName,
      harborId: robotAccounts.harborId,
      projects: robotAccounts.projects,
      expiresAt: robotAccounts.expiresAt,
      secretHash: robotAccounts.secretHash,
      previousSecretHash: robotAccounts.previousSecretHash,
      pendingRotation: robotAccounts.pendingRotation,
      secretIssuedAt: robotAccounts.secretIssuedAt,
    })
    .from(robotAccounts)
    .innerJoin(fleetSatellites, eq(fleetSatellites.id, robotAccounts.satelliteId))
    .where("satellite" in key ? eq(fleetSatellites.name, key.satellite) : eq(robotAccounts.robotName, key.robot));
  return row;
}

/**
 * The hashes a robot's secret may match: the current one, and during a credential refresh the one
 * it replaced (empty when there is no such robot). One indexed read, for re-checking remembered credentials.
 */
export async function robotSecretHashes(db: Executor, robotName: string): Promise<string[]> {
  const [row] = await db
    .select({ hash: robotAccounts.secretHash, previous: robotAccounts.previousSecretHash })
    .from(robotAccounts)
    .where(eq(robotAccounts.robotName, robotName));
  return row ? heldHashes(row) : [];
}

/** The current hash, and the previous one while a credential refresh is unconfirmed. */
function heldHashes(row: { hash: string; previous: string | null }): string[] {
  return [row.hash, row.previous].filter((h): h is string => Boolean(h));
}

/**
 * robotSecretHashes for many robots in one indexed read: each named robot's hashes (a robot that
 * does not exist has no entry). Re-checking a fleet's remembered credentials one query each cost
 * ~140 µs of Ground Control's CPU per robot, ~8 µs in reads of 100. The names travel as one JSON
 * parameter of one prepared statement: reads of every size share its plan (a list of parameters
 * made a new statement, described and planned, per size), and `= any(array(…))` keeps it a probe
 * of the unique index per name whatever the table's size.
 */
export async function robotSecretHashesOf(db: Executor, robotNames: readonly string[]): Promise<Map<string, string[]>> {
  const hashes = new Map<string, string[]>();
  if (robotNames.length === 0) return hashes;
  const result = await executePrepared(
    db,
    "robot_secret_hashes_of",
    sql`select ${robotAccounts.robotName} as name, ${robotAccounts.secretHash} as hash,
      ${robotAccounts.previousSecretHash} as previous
    from ${robotAccounts}
    where ${robotAccounts.robotName} = any(array(select json_array_elements_text(${JSON.stringify(robotNames)}::json)))`,
  );
  for (const row of rowsOf<{ name: string; hash: string; previous: string | null }>(result))
    hashes.set(row.name, heldHashes(row));
  return hashes;
}

/** The satellite saved rotation `rotation`'s secret: the secret before it is no longer accepted. */
export async function confirmRobotRotation(db: Executor, satelliteId: number, rotation: string, now: Date) {
  await db
    .update(robotAccounts)
    .set({ previousSecretHash: null, pendingRotation: null, updatedAt: now })
    .where(and(eq(robotAccounts.satelliteId, satelliteId), eq(robotAccounts.pendingRotation, rotation)));
}

/**
 * A rotation is being delivered: keep accepting `heldHash` (the secret the satellite holds) until
 * it echoes `rotationId`. The new secret's hash was stored by the rotation itself.
 */
export async function recordRobotRotation(db: Executor, satelliteId: number, heldHash: string, rotationId: string) {
  await db
    .update(robotAccounts)
    .set({ previousSecretHash: heldHash, pendingRotation: rotationId })
    .where(eq(robotAccounts.satelliteId, satelliteId));
}
