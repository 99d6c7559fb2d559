// robot_accounts rows: which Harbor robot belongs to which satellite, the projects it was granted
// and the slow hash of its current secret (never the secret). Satellites are looked up by name
// only to link the row, through the fleet's query module; the fleet service owns them.
import { eq } from "drizzle-orm";
import { robotAccounts, type Database } from "@harbor-satellite/db";
import { satelliteIdByName } from "@harbor-satellite/fleet";
import { findRobotCredentials } from "./robot-credentials-query.js";

export interface RobotRecord {
  satelliteId: number;
  /** Full name as Harbor returns it, e.g. "robot$edge-1". */
  robotName: string;
  harborId: number;
  projects: string[];
  expiresAt: Date | null;
}

export interface RobotStore {
  /** The satellite's row id, or undefined when the fleet has no such satellite. */
  satelliteId(satellite: string): Promise<number | undefined>;
  find(satellite: string): Promise<RobotRecord | undefined>;
  /** Inserts or replaces the satellite's robot row. */
  save(record: RobotRecord, secretHash: string): Promise<void>;
  updateProjects(satelliteId: number, projects: string[], expiresAt: Date | null): Promise<void>;
  updateSecret(satelliteId: number, secretHash: string, expiresAt: Date | null): Promise<void>;
  remove(satelliteId: number): Promise<void>;
}

/**
 * A secret just issued (enrolment, adoption, rotation): the refresh schedule starts again and a
 * refresh that was waiting for the satellite's confirmation is over (its old secret is no longer accepted).
 */
const freshSecret = (now: Date) => ({ secretIssuedAt: now, previousSecretHash: null, pendingRotation: null });

export function createRobotStore(db: Database): RobotStore {
  return {
    satelliteId: (satellite) => satelliteIdByName(db, satellite),

    async find(satellite) {
      const row = await findRobotCredentials(db, { satellite });
      if (!row) return undefined;
      const { satelliteId, robotName, harborId, projects, expiresAt } = row;
      return { satelliteId, robotName, harborId, projects, expiresAt };
    },

    async save(record, secretHash) {
      const now = new Date();
      // A new secret ends any credential refresh in flight (credential-refresh in the heartbeat service).
      const values = { ...record, secretHash, ...freshSecret(now), updatedAt: now };
      await db.transaction(async (tx) => {
        // A stale row for the same Harbor id or name (a robot re-created under a new id) must go first.
        await tx.delete(robotAccounts).where(eq(robotAccounts.harborId, record.harborId));
        await tx.delete(robotAccounts).where(eq(robotAccounts.robotName, record.robotName));
        await tx
          .insert(robotAccounts)
          .values(values)
          .onConflictDoUpdate({ target: robotAccounts.satelliteId, set: values });
      });
    },

    async updateProjects(satelliteId, projects, expiresAt) {
      await db
        .update(robotAccounts)
        .set({ projects, expiresAt, updatedAt: new Date() })
        .where(eq(robotAccounts.satelliteId, satelliteId));
    },

    async updateSecret(satelliteId, secretHash, expiresAt) {
      await db
        .update(robotAccounts)
        .set({ secretHash, expiresAt, ...freshSecret(new Date()), updatedAt: new Date() })
        .where(eq(robotAccounts.satelliteId, satelliteId));
    },

    async remove(satelliteId) {
      await db.delete(robotAccounts).where(eq(robotAccounts.satelliteId, satelliteId));
    },
  };
}
