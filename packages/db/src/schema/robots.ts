// One Harbor robot account per satellite. Only a slow hash of its secret is stored.
import { bigint, integer, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { lifecycleDates } from "./columns.js";
import { satellites } from "./satellites.js";

export const robotAccounts = pgTable("robot_accounts", {
  id: serial("id").primaryKey(),
  satelliteId: integer("satellite_id")
    .notNull()
    .unique()
    .references(() => satellites.id, { onDelete: "cascade" }),
  /** Full name as Harbor returns it, e.g. "robot$edge-1". */
  robotName: text("robot_name").notNull().unique(),
  harborId: bigint("harbor_id", { mode: "number" }).notNull().unique(),
  /** scrypt hash of the current secret ("$scrypt$..."). Never the secret itself. */
  secretHash: text("secret_hash").notNull(),
  /** Projects it may read and pull from, sorted; always includes `satellite`. */
  projects: text("projects").array().notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  /**
   * Credential refresh: the hash of the secret the satellite held before a rotation it has not
   * confirmed yet, so Ground Control still accepts it until the satellite acknowledges the new one.
   */
  previousSecretHash: text("previous_secret_hash"),
  /** The id of a rotation delivered in a heartbeat answer and not acknowledged yet. */
  pendingRotation: text("pending_rotation"),
  /** When the current secret was issued (enrolment or rotation): the rotation schedule counts from here. */
  secretIssuedAt: timestamp("secret_issued_at", { withTimezone: true }).notNull().defaultNow(),
  ...lifecycleDates,
});
