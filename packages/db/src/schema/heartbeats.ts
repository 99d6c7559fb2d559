// Heartbeats as received, newest per satellite referenced from satellites.latest_heartbeat_id.
// A retention job deletes old rows.
import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { satellites } from "./satellites.js";

export interface CachedImageRow {
  reference: string;
  sizeBytes: number;
}

export interface ImageErrorRow {
  reference: string;
  message: string;
}

export const heartbeats = pgTable(
  "heartbeats",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    satelliteId: integer("satellite_id")
      .notNull()
      .references(() => satellites.id, { onDelete: "cascade" }),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    reportedAt: timestamp("reported_at", { withTimezone: true }),
    activity: text("activity").notNull().default(""),
    stateReportInterval: text("state_report_interval").notNull().default(""),
    stateDigest: text("state_digest").notNull().default(""),
    configDigest: text("config_digest").notNull().default(""),
    cpuPercent: doublePrecision("cpu_percent").notNull().default(0),
    memoryUsedBytes: bigint("memory_used_bytes", { mode: "number" }).notNull().default(0),
    storageUsedBytes: bigint("storage_used_bytes", { mode: "number" }).notNull().default(0),
    lastSyncDurationMs: bigint("last_sync_duration_ms", { mode: "number" }).notNull().default(0),
    imageCount: integer("image_count").notNull().default(0),
    cachedImages: jsonb("cached_images").$type<CachedImageRow[]>().notNull().default([]),
    errors: jsonb("errors").$type<ImageErrorRow[]>().notNull().default([]),
  },
  (t) => [
    index("heartbeats_satellite_received_idx").on(t.satelliteId, t.receivedAt),
    index("heartbeats_received_idx").on(t.receivedAt),
  ],
);
