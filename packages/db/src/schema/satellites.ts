// Satellites (edge sites) and the groups assigned to them.
import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, primaryKey, serial, text, timestamp } from "drizzle-orm/pg-core";
import { lifecycleDates } from "./columns.js";
import { configs } from "./configs.js";
import { groups } from "./groups.js";

export const satellites = pgTable(
  "satellites",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull().unique(),
    region: text("region").notNull().default("default"),
    /** SPIFFE selectors, "type:value". */
    selectors: text("selectors").array().notNull().default([]),
    configId: integer("config_id")
      .notNull()
      .references(() => configs.id, { onDelete: "restrict" }),
    /** When the last heartbeat arrived; null when never seen. */
    lastSeen: timestamp("last_seen", { withTimezone: true }),
    /** Heartbeat interval from its last report, in seconds; drives the stale rule. */
    heartbeatIntervalSeconds: integer("heartbeat_interval_seconds"),
    /** Id of its latest heartbeat row, so status reads need no scan. */
    latestHeartbeatId: bigint("latest_heartbeat_id", { mode: "number" }),
    ...lifecycleDates,
  },
  (t) => [
    index("satellites_region_idx").on(t.region),
    index("satellites_config_idx").on(t.configId),
    // Byte order whatever the database's collation: lists that page by name with a keyset and
    // filter by name prefix (the drift view) read one range of this index per page.
    index("satellites_name_c_idx").on(sql`${t.name} collate "C"`),
  ],
);

export const satelliteGroups = pgTable(
  "satellite_groups",
  {
    satelliteId: integer("satellite_id")
      .notNull()
      .references(() => satellites.id, { onDelete: "cascade" }),
    groupId: integer("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.satelliteId, t.groupId] }), index("satellite_groups_group_idx").on(t.groupId)],
);
