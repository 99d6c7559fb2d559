// Satellite configs, published as config-state artifacts. `default` always exists.
import { jsonb, pgTable, serial, text } from "drizzle-orm/pg-core";
import { lifecycleDates } from "./columns.js";

export const configs = pgTable("configs", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  /** The config object: {"app_config": {...}, "zot_config": {...}} as the original satellite reads it. */
  config: jsonb("config").$type<Record<string, unknown>>().notNull(),
  /**
   * Manifest digest of the config-state artifact last published for exactly this `config`; null
   * until the first publish. Satellite states pin their config URL to it.
   */
  stateDigest: text("state_digest"),
  ...lifecycleDates,
});
