// Work that must reach Harbor after a database change: written in the same transaction as the
// change, drained by a publisher that retries until Harbor accepts it. One row per
// (kind, subject): a newer request for the same subject replaces an older one, because the
// publisher always publishes the subject's CURRENT state (and deletes the subject's artifact or
// robot when the subject no longer exists), so requests never need to be replayed in order.
//
// A publisher claims due rows with `FOR UPDATE SKIP LOCKED` (so several Ground Control replicas
// share the work), leases them with `claimed_until`, calls Harbor outside any transaction, then
// deletes the row only if `revision` is still the one it claimed: a request that arrived while
// the call was in flight bumps `revision` and is therefore published again, never lost.
//
// The fleet service writes the rows, with two exceptions that only ever ask for more of the same
// convergence: a group/config publish that recorded a new digest queues the satellite states
// listing it, and the registry service's renewal sweep queues `sync-robot` for satellites whose
// robot expires soon (EnsureRobot renews it).
import { bigserial, integer, jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";

export type OutboxKind = "publish-group-state" | "publish-satellite-state" | "publish-config-state" | "sync-robot";

export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").$type<OutboxKind>().notNull(),
    /** The group, satellite or config name the work is about. */
    subject: text("subject").notNull(),
    /** What the work needs beyond the subject's current rows (unused by the current kinds). */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    /** Bumped by every new request for the subject, so a publisher never deletes work it did not do. */
    revision: integer("revision").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set while a publisher works on the row; another publisher takes it over once this passes. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("outbox_kind_subject_uq").on(t.kind, t.subject)],
);
