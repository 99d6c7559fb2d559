// Satellite-state artifacts, served by Ground Control itself at
// /v2/satellite/satellite-state/<satellite>/state (the gateway's read-only OCI endpoint) instead of
// being pushed to Harbor: Harbor's robot permissions are per project, so in Harbor every
// satellite's robot could read every other satellite's state. One row per satellite holds the
// current artifact whole (a few hundred bytes each: manifest, image config, one gzip layer);
// group and config states stay in Harbor, pinned by digest from this artifact.
//
// Owned by the registry service: PublishSatelliteState upserts the row, DeleteState removes it,
// GetSatelliteStateArtifact reads it. No foreign key to `satellites` on purpose: the row follows
// the fleet's outbox (deleted when the satellite's publish job finds the satellite gone), as the
// Harbor copy did.
//
// With SATELLITE_STATE_IN_HARBOR (for original Go satellites, which read their state from Harbor)
// a copy is also pushed to Harbor (the original form, tag URLs: not these bytes); `harbor_copy`
// remembers that, so once the mode is turned off the next publish deletes the copy instead of
// leaving it readable by every robot.
import { boolean, customType, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** bytea as a Buffer with both drivers (postgres.js returns Buffer, PGlite Uint8Array). */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

export const satelliteStateArtifacts = pgTable("satellite_state_artifacts", {
  /** The satellite's name: the `<satellite>` in the repository path. */
  satellite: text("satellite").primaryKey(),
  /** sha256 of `manifest`: what `latest` and the timestamp tag resolve to. */
  manifestDigest: text("manifest_digest").notNull(),
  /** The manifest bytes exactly as served (their digest is manifest_digest). */
  manifest: bytea("manifest").notNull(),
  /** The manifest's media type (Docker schema 2, as the original's crane.Image). */
  mediaType: text("media_type").notNull(),
  configDigest: text("config_digest").notNull(),
  /** The image config blob. */
  config: bytea("config").notNull(),
  layerDigest: text("layer_digest").notNull(),
  /** The one gzip layer: a tar holding `artifacts.json`. */
  layer: bytea("layer").notNull(),
  /** The unix-time tag of this version (the original tags each push `latest` and the unix time). */
  timestampTag: text("timestamp_tag").notNull(),
  /** Whether a copy may be in Harbor (pushed with SATELLITE_STATE_IN_HARBOR, or being pushed). */
  harborCopy: boolean("harbor_copy").notNull().default(false),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
