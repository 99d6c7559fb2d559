// Writes one batch of heartbeats in ONE statement: the rows travel as a single JSON parameter
// (no parameter-count limit, one prepared statement for every batch size, prepared once per
// connection), a multi-row INSERT adds them, and an UPDATE … FROM the same rows moves each
// satellite's last_seen, heartbeat interval and latest heartbeat, and returns each satellite's
// current satellite-state digest for its answer. One statement is one implicit
// transaction: the callers are acknowledged only after it commits.
import { sql, type SQL } from "drizzle-orm";
import { executePrepared, pgErrorOf, rowsOf, type Database } from "@harbor-satellite/db";
import { retry, retryPolicy } from "@harbor-satellite/retry";
import { UnavailableError } from "@harbor-satellite/rpc";
import type { Logger } from "@harbor-satellite/telemetry";
import type { HeartbeatRow } from "./heartbeat-row.js";

/** A validated heartbeat whose satellite name has been resolved to its id. */
export interface PendingHeartbeat {
  satelliteId: number;
  row: HeartbeatRow;
}

export interface WriteResult {
  heartbeatId: number;
  receivedAt: Date;
  /** Digest of the satellite-state artifact Ground Control serves for the satellite, if any. */
  stateDigest: string | undefined;
}

/** Per item: its result, `undefined` when its satellite no longer exists, or the error that row alone hit. */
export type WriteOutcome = WriteResult | undefined | Error;

export type HeartbeatWriter = (items: readonly PendingHeartbeat[]) => Promise<WriteOutcome[]>;

// A satellite deleted between name resolution and the write (foreign key), and the lock
// conflicts of several replicas sharing a database: retrying the whole batch (at once: the
// conflict is already over) settles them.
const RETRYABLE = new Set(["23503", "40P01", "40001"]);
const CONFLICT_RETRY = retryPolicy({
  attempts: 3,
  baseMs: 0,
  capMs: 0,
  retryable: (error) => RETRYABLE.has(pgErrorOf(error).code ?? ""),
});

export function createHeartbeatWriter(db: Database, now: () => Date, logger: Logger): HeartbeatWriter {
  return async (items) => {
    const receivedAt = now();
    try {
      return await retry(() => writeBatch(db, items, receivedAt), CONFLICT_RETRY);
    } catch (error) {
      const pg = pgErrorOf(error);
      // A row our validation let through but PostgreSQL refuses (data exception or
      // constraint): write rows one by one so only that row's caller fails.
      if (pg.code && /^2[23]/.test(pg.code) && items.length > 1) {
        logger.warn(
          { code: pg.code, detail: pg.message, rows: items.length },
          "heartbeat batch refused; writing its rows one by one",
        );
        return writeOneByOne(db, items, receivedAt);
      }
      logger.error({ code: pg.code, detail: pg.message, rows: items.length }, "heartbeat batch write failed");
      throw new UnavailableError("could not record the heartbeat; retry later", error);
    }
  };
}

async function writeOneByOne(
  db: Database,
  items: readonly PendingHeartbeat[],
  receivedAt: Date,
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  for (const item of items) {
    try {
      outcomes.push((await writeBatch(db, [item], receivedAt))[0]);
    } catch (error) {
      outcomes.push(new UnavailableError("could not record the heartbeat", error));
    }
  }
  return outcomes;
}

async function writeBatch(db: Database, items: readonly PendingHeartbeat[], receivedAt: Date): Promise<WriteOutcome[]> {
  const result = await executePrepared(db, "heartbeat_ingest", ingestStatement(items, receivedAt));
  const written = new Map<number, { heartbeatId: number; stateDigest: string | undefined }>();
  for (const row of rowsOf<{ satellite_id: number; heartbeat_id: string | number; state_digest: string | null }>(
    result,
  )) {
    written.set(Number(row.satellite_id), {
      heartbeatId: Number(row.heartbeat_id),
      stateDigest: row.state_digest ?? undefined,
    });
  }
  return items.map((item) => {
    const row = written.get(item.satelliteId);
    return row === undefined ? undefined : { ...row, receivedAt };
  });
}

/**
 * The batch's statement. Its plan must stay linear in the batch and independent of the fleet's
 * size, whatever PostgreSQL's estimates: the JSON rows count as 100 to the planner, which then
 * preferred hashing a sequential scan of `satellites` (twice per batch: 0.5 ms each at 5,000
 * satellites, growing with the fleet) and, once estimates were low, a nested loop between two CTE
 * scans (quadratic in the batch). So: `limit <batch size>` (a parameter: estimated at 10 rows)
 * makes each satellite a primary-key probe, existence is a per-row subquery (never a scan),
 * and each heartbeat's id is drawn up front (`nextval`) so the UPDATE joins only the input rows
 * to `satellites`, not the inserted rows to the input. ingest-plan.it.ts checks the plan's shape.
 */
export function ingestStatement(items: readonly PendingHeartbeat[], receivedAt: Date): SQL {
  const at = receivedAt.toISOString();
  return sql`
    with input as (
      select x.*, nextval('heartbeats_id_seq') as hid
      from (
        select * from json_to_recordset(${toJson(items)}::json) as j(
          s integer, r timestamptz, a text, i text, sd text, cd text, c double precision,
          m bigint, st bigint, d bigint, n integer, ci jsonb, e jsonb, iv integer)
        limit ${items.length}
      ) x
      where (select true from satellites s where s.id = x.s)
    ), ins as (
      insert into heartbeats (id, satellite_id, received_at, reported_at, activity, state_report_interval, state_digest,
        config_digest, cpu_percent, memory_used_bytes, storage_used_bytes, last_sync_duration_ms, image_count,
        cached_images, errors)
      select x.hid, x.s, ${at}::timestamptz, x.r, x.a, x.i, x.sd, x.cd, x.c, x.m, x.st, x.d, x.n, x.ci, x.e
      from input x
    )
    update satellites s
    set last_seen = ${at}::timestamptz, heartbeat_interval_seconds = x.iv, latest_heartbeat_id = x.hid
    from input x
    where s.id = x.s
    returning s.id as satellite_id, x.hid as heartbeat_id,
      (select a.manifest_digest from satellite_state_artifacts a where a.satellite = s.name) as state_digest`;
}

/** The batch as one JSON array; short keys keep the parameter small. */
function toJson(items: readonly PendingHeartbeat[]): string {
  const records = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    const { satelliteId, row } = items[i];
    records[i] = {
      s: satelliteId,
      r: row.reportedAt,
      a: row.activity,
      i: row.stateReportInterval,
      sd: row.stateDigest,
      cd: row.configDigest,
      c: row.cpuPercent,
      m: row.memoryUsedBytes,
      st: row.storageUsedBytes,
      d: row.lastSyncDurationMs,
      n: row.imageCount,
      ci: row.cachedImages,
      e: row.errors,
      iv: row.intervalSeconds,
    };
  }
  return JSON.stringify(records);
}
