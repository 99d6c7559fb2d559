// Work that must reach Harbor after a database change: written in the same transaction as the
// change, drained by a publisher that retries until Harbor accepts it. One row per
// (kind, subject): a newer request for the same subject replaces an older one, because the
// publisher always publishes the subject's current state.
import { bigserial, integer, jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";

export type OutboxKind =
  | "publish-group-state"
  | "publish-satellite-state"
  | "publish-config-state"
  | "sync-robot"
  | "delete-state"
  | "delete-robot";

export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").$type<OutboxKind>().notNull(),
    /** The group, satellite or config name the work is about. */
    subject: text("subject").notNull(),
    /** What the work needs beyond the subject's current rows (e.g. a deleted robot's Harbor id). */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("outbox_kind_subject_uq").on(t.kind, t.subject)],
);
