// Groups: named sets of artifacts, published as group-state artifacts.
import { jsonb, pgTable, serial, text } from "drizzle-orm/pg-core";
import { lifecycleDates } from "./columns.js";

/** One artifact of a group, as stored (the proto's common.v1.Artifact). */
export interface GroupArtifact {
  repository: string;
  tags: string[];
  digest?: string;
  type?: string;
  /** Tag filter: RE2 regex a tag must match; resolved by the fleet when it publishes the group. */
  tagRegex?: string;
  /** Tag filter: semver range a tag must satisfy. */
  semverRange?: string;
  /** How many of the newest matching tags the group state lists (with a filter; default 1). */
  newestCount?: number;
}

export const groups = pgTable("groups", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  artifacts: jsonb("artifacts").$type<GroupArtifact[]>().notNull(),
  /**
   * Manifest digest of the group-state artifact last published for exactly these `artifacts`;
   * null until the first publish. Satellite states pin their group URLs to it.
   */
  stateDigest: text("state_digest"),
  /**
   * The entries the last published group state listed, when the group has tag filters: each
   * filter resolved to concrete tags pinned to digests (null for groups without filters, and
   * until the first publish). Read by the drift view and by the filter poll.
   */
  resolvedArtifacts: jsonb("resolved_artifacts").$type<GroupArtifact[]>(),
  ...lifecycleDates,
});
