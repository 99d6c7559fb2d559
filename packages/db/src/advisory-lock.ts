// Session-level advisory locks, so a periodic job runs on one Ground Control replica at a time
// even when several share one database.
import { sql } from "drizzle-orm";
import type { Database } from "./client.js";

/** Stable lock keys; one per job. */
export const LockKey = {
  HeartbeatRetention: 0x68730001,
  OutboxPublisher: 0x68730002,
} as const;

/**
 * Runs `fn` only if this process gets the lock; returns undefined otherwise. The lock and its
 * release run in one transaction (xact lock), so a pooled connection never keeps a stale lock.
 */
export async function withAdvisoryLock<T>(
  db: Database,
  key: number,
  fn: (tx: Parameters<Parameters<Database["transaction"]>[0]>[0]) => Promise<T>,
): Promise<T | undefined> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${key}) as locked`);
    const first = (Array.isArray(rows) ? rows[0] : (rows as { rows: { locked: boolean }[] }).rows[0]) as
      { locked: boolean } | undefined;
    if (!first?.locked) return undefined;
    return fn(tx);
  });
}
