// Groups: named sets of artifacts, published as group-state artifacts.
import { jsonb, pgTable, serial, text } from "drizzle-orm/pg-core";
import { lifecycleDates } from "./columns.js";

/** One artifact of a group, as stored (the proto's common.v1.Artifact). */
export interface GroupArtifact {
  repository: string;
  tags: string[];
  digest?: string;
  type?: string;
}

export const groups = pgTable("groups", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  artifacts: jsonb("artifacts").$type<GroupArtifact[]>().notNull(),
  ...lifecycleDates,
});
