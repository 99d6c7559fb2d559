// Deletes heartbeats older than the retention window, in bounded batches, never a satellite's
// latest one (status reads point at it). A round runs in one transaction holding the
// heartbeat-retention advisory lock, so when several Ground Control replicas share a database,
// one of them deletes per round and the others skip. A round deletes at most
// `maxBatchesPerRound` batches, which bounds its transaction; when it stops at that bound, the
// next round follows shortly instead of an interval later.
import { sql } from "drizzle-orm";
import { LockKey, rowsOf, withAdvisoryLock, type Database, type Transaction } from "@harbor-satellite/db";
import { fleetSatellites } from "@harbor-satellite/fleet";
import { withSpan, type Logger } from "@harbor-satellite/telemetry";

export interface RetentionOptions {
  /** How long heartbeats are kept (default 7 days). */
  retentionMs?: number;
  /** Time between rounds (default 1 hour). */
  intervalMs?: number;
  /** Rows per DELETE (default 5,000). */
  batchSize?: number;
  /** DELETEs per round, i.e. per transaction (default 20). */
  maxBatchesPerRound?: number;
  /** Pause before the next round when a round stopped at its bound (default 1 s). */
  backlogPauseMs?: number;
}

export interface RetentionRound {
  /** False when another replica held the lock, so this one did nothing. */
  ran: boolean;
  deleted: number;
  /** True when the round stopped at its bound with old rows left. */
  more: boolean;
}

export interface RetentionJob {
  runOnce(): Promise<RetentionRound>;
  start(): void;
  stop(): Promise<void>;
}

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export function createRetentionJob(
  db: Database,
  logger: Logger,
  now: () => Date,
  options: RetentionOptions = {},
): RetentionJob {
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const intervalMs = options.intervalMs ?? 3600_000;
  const batchSize = options.batchSize ?? 5000;
  const maxBatches = options.maxBatchesPerRound ?? 20;
  const backlogPauseMs = options.backlogPauseMs ?? 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  async function runOnce(): Promise<RetentionRound> {
    const cutoff = new Date(now().getTime() - retentionMs);
    return withSpan("heartbeat", "heartbeat.retention", { "retention.cutoff": cutoff.toISOString() }, async () => {
      const result = await withAdvisoryLock(db, LockKey.HeartbeatRetention, async (tx) => {
        let deleted = 0;
        for (let batch = 0; batch < maxBatches; batch++) {
          const n = await deleteBatch(tx, cutoff, batchSize);
          deleted += n;
          if (n < batchSize) return { ran: true, deleted, more: false };
        }
        return { ran: true, deleted, more: true };
      });
      const round = result ?? { ran: false, deleted: 0, more: false };
      logger.info(
        { ...round, cutoff: cutoff.toISOString() },
        round.ran ? "heartbeat retention round" : "heartbeat retention skipped: another replica holds the lock",
      );
      return round;
    });
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      const round = runOnce();
      running = round;
      round
        .then((r) => schedule(r.more ? backlogPauseMs : intervalMs))
        .catch((error: unknown) => {
          logger.error({ err: error }, "heartbeat retention round failed");
          schedule(intervalMs);
        })
        .finally(() => (running = undefined));
    }, delayMs);
    timer.unref();
  }

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      // The first round soon after start, so a replica that restarts often still cleans up.
      schedule(Math.min(intervalMs, 60_000));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** Deletes up to `limit` heartbeats received before `cutoff` that are no satellite's latest. */
async function deleteBatch(tx: Transaction, cutoff: Date, limit: number): Promise<number> {
  const result = await tx.execute(sql`
    with doomed as (
      select h.id from heartbeats h
      where h.received_at < ${cutoff.toISOString()}::timestamptz
        and not exists (select 1 from ${fleetSatellites} where ${fleetSatellites.id} = h.satellite_id and ${fleetSatellites.latestHeartbeatId} = h.id)
      limit ${limit}
    ), gone as (
      delete from heartbeats where id in (select id from doomed) returning 1
    )
    select count(*)::int as n from gone`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}
