// The outbox (packages/db schema/outbox.ts explains the protocol): requests written inside the
// caller's transaction, claimed with FOR UPDATE SKIP LOCKED and a lease, and finished only for
// the revision that was claimed.
import { sql } from "drizzle-orm";
import { executePrepared, outbox, rowsOf, type Database, type Executor, type OutboxKind } from "@harbor-satellite/db";
import type { OutboxJob } from "./records.js";

export interface OutboxRequest {
  kind: OutboxKind;
  subject: string;
}

/** Asks for the subjects' current state to be published; coalesces with pending requests. */
export async function enqueue(tx: Executor, requests: readonly OutboxRequest[]): Promise<void> {
  const unique = [...new Map(requests.map((r) => [`${r.kind}\u0000${r.subject}`, r])).values()];
  if (unique.length === 0) return;
  await tx
    .insert(outbox)
    .values(unique.map((r) => ({ kind: r.kind, subject: r.subject })))
    .onConflictDoUpdate({
      target: [outbox.kind, outbox.subject],
      set: { revision: sql`${outbox.revision} + 1`, nextAttemptAt: sql`now()` },
    });
}

/**
 * Asks for `sync-robot` of these satellites (the registry's robot renewal sweep), in the caller's
 * transaction. Unlike enqueue, a row already queued is left as it is: its retry schedule stands.
 */
export async function requestRobotSyncs(tx: Executor, satellites: readonly string[]): Promise<void> {
  if (satellites.length === 0) return;
  await tx
    .insert(outbox)
    .values(satellites.map((subject) => ({ kind: "sync-robot" as const, subject })))
    .onConflictDoNothing({ target: [outbox.kind, outbox.subject] });
}

export interface OutboxStore {
  /** Leases up to `limit` due rows that no other publisher holds. */
  claim(limit: number, leaseMs: number): Promise<OutboxJob[]>;
  /** Deletes the row if nothing newer was requested meanwhile; otherwise frees it to run again. */
  complete(job: OutboxJob): Promise<void>;
  /** Records the error and schedules a retry after `delayMs` (at once if something newer was requested). */
  fail(job: OutboxJob, error: string, delayMs: number): Promise<void>;
  /** Rows not yet done, for status and tests. */
  pending(): Promise<Array<{ kind: OutboxKind; subject: string; attempts: number; lastError: string | null }>>;
}

export function createOutboxStore(db: Database): OutboxStore {
  return {
    async claim(limit, leaseMs) {
      const result = await db.execute(sql`
        update outbox set claimed_until = now() + make_interval(secs => ${leaseMs / 1000}), attempts = attempts + 1
        where id in (
          select id from outbox
          where next_attempt_at <= now() and (claimed_until is null or claimed_until < now())
          order by next_attempt_at, id
          limit ${limit}
          for update skip locked
        )
        returning id, kind, subject, revision, attempts`);
      return rowsOf<{ id: string | number; kind: OutboxKind; subject: string; revision: number; attempts: number }>(
        result,
      ).map((r) => ({
        id: Number(r.id),
        kind: r.kind,
        subject: r.subject,
        revision: Number(r.revision),
        attempts: Number(r.attempts),
      }));
    },

    async complete(job) {
      // One prepared statement, no transaction: it runs once per published state, and BEGIN,
      // two statements and COMMIT were four round trips of the republish's ~7 per state. Both
      // parts see the same snapshot: the update frees the row only when the delete did not match.
      await executePrepared(
        db,
        "fleet_outbox_complete",
        sql`with done as (delete from outbox where id = ${job.id} and revision = ${job.revision} returning id)
          update outbox set claimed_until = null, attempts = 0, last_error = null
          where id = ${job.id} and not exists (select 1 from done)`,
      );
    },

    async fail(job, error, delayMs) {
      await db.execute(sql`
        update outbox set claimed_until = null, last_error = ${error.slice(0, 2000)},
          next_attempt_at = case when revision = ${job.revision} then now() + make_interval(secs => ${delayMs / 1000}) else next_attempt_at end
        where id = ${job.id}`);
    },

    async pending() {
      return db
        .select({ kind: outbox.kind, subject: outbox.subject, attempts: outbox.attempts, lastError: outbox.lastError })
        .from(outbox)
        .orderBy(outbox.id);
    },
  };
}
