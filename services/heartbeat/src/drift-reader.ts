// The drift view over the database: pages of satellites (drift-store.ts) joined with their
// desired state (the fleet's query module) and judged by classifyDrift. Used by the rpcs; metrics
// can walk the fleet with `scan`.
//
// Cost per page of N verdicts (N ≤ 1000): reads go in chunks of at most 250 satellites, each one
// indexed range read of `satellites` (name order, `satellites_name_c_idx`) joined by primary key
// with `heartbeats` and `satellite_state_artifacts`, plus the fleet's four indexed queries for the
// same satellites (groups, artifacts, config interval, pending publishes), and the verdicts
// computed in memory (linear in the chunk's desired and cached images). Exact filters (none,
// STALE, NEVER_SEEN, region, group, prefix) fill a page in ceil(N / 250) chunks, plus one count on
// a listing's first page (later pages carry its total in their token);
// IN_SYNC, CONVERGING and FAILING examine at most 2,000 SQL candidates per call (8 chunks),
// so a call never costs more than that, and may return a short page with a next cursor.
import type { Executor } from "@harbor-satellite/db";
import { groupIdByName, readDesiredStates, type SatelliteDesiredState } from "@harbor-satellite/fleet";
import { DriftState } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { classifyDrift, DEFAULT_DRIFT_POLICY, type DriftPolicy, type DriftVerdict } from "./drift.js";
import {
  countDriftRows,
  exactInSql,
  readDriftRow,
  readDriftRows,
  type DriftFilter,
  type DriftRow,
} from "./drift-store.js";
import { normalizeInterval } from "./interval.js";

/** A verdict with the facts it rests on, for one satellite. */
export interface SatelliteDriftRecord {
  name: string;
  region: string;
  lastSeen: Date | null;
  groups: string[];
  /** G ("" when none). */
  desiredStateDigest: string;
  /** R ("" when none or never seen). */
  reportedStateDigest: string;
  pending: SatelliteDesiredState["pending"];
  verdict: DriftVerdict;
}

export interface DriftPage {
  records: SatelliteDriftRecord[];
  /** Name to continue after; undefined when the last satellite has been examined. */
  next: string | undefined;
  /** Satellites matching the filter; undefined when only classifying every one could tell. */
  total: number | undefined;
}

export interface DriftReader {
  get(name: string): Promise<SatelliteDriftRecord | undefined>;
  /** `knownTotal`: the total counted on the listing's first page, so this page does not count again. */
  page(filter: DriftFilter, after: string | undefined, limit: number, knownTotal?: number): Promise<DriftPage>;
  /** Every satellite's verdict, page by page (for counting by state). */
  scan(filter?: Partial<DriftFilter>): AsyncGenerator<SatelliteDriftRecord[]>;
}

export const DRIFT_CHUNK = 250;
export const DRIFT_SCAN_BUDGET = 2_000;

export interface DriftReaderOptions {
  now: () => Date;
  policy?: DriftPolicy;
  /** Satellites read per query (default DRIFT_CHUNK). */
  chunk?: number;
  /** Satellites examined per page when SQL cannot tell the state filter exactly (default DRIFT_SCAN_BUDGET). */
  scanBudget?: number;
}

export function createDriftReader(db: Executor, options: DriftReaderOptions): DriftReader {
  const policy = options.policy ?? DEFAULT_DRIFT_POLICY;
  const chunkSize = Math.max(1, options.chunk ?? DRIFT_CHUNK);
  const budget = Math.max(1, options.scanBudget ?? DRIFT_SCAN_BUDGET);

  const judge = async (rows: DriftRow[], now: Date): Promise<SatelliteDriftRecord[]> => {
    const desired = await readDesiredStates(db, rows);
    const records: SatelliteDriftRecord[] = [];
    for (const row of rows) {
      const state = desired.get(row.id);
      if (!state) continue; // deleted between the reads
      records.push(toRecord(row, state, now, policy));
    }
    return records;
  };

  const reader: DriftReader = {
    async get(name) {
      const row = await readDriftRow(db, name);
      if (!row) return undefined;
      const [record] = await judge([row], options.now());
      return record;
    },

    async page(given, after, limit, knownTotal) {
      const now = options.now();
      const filter = given.group ? { ...given, groupId: await groupIdByName(db, given.group) } : given;
      const exact = exactInSql(filter.state);
      const records: SatelliteDriftRecord[] = [];
      let cursor = after;
      let examined = 0;
      let more = true;
      while (more && records.length < limit && (exact || examined < budget)) {
        const want = Math.min(chunkSize, exact ? limit - records.length : budget - examined);
        // One row more than used says whether another satellite follows.
        const rows = await readDriftRows(db, filter, cursor, want + 1, now);
        more = rows.length > want;
        const chunk = rows.slice(0, want);
        const judged = new Map((await judge(chunk, now)).map((r) => [r.name, r]));
        for (const row of chunk) {
          if (records.length === limit) {
            more = true;
            break;
          }
          examined++;
          cursor = row.name;
          const record = judged.get(row.name);
          if (record && (filter.state === DriftState.UNSPECIFIED || record.verdict.state === filter.state))
            records.push(record);
        }
      }
      const total = exact ? (knownTotal ?? (await countDriftRows(db, filter, now))) : undefined;
      return { records, next: more ? cursor : undefined, total };
    },

    async *scan(partial = {}) {
      const filter: DriftFilter = { state: DriftState.UNSPECIFIED, region: "", group: "", prefix: "", ...partial };
      let after: string | undefined;
      for (;;) {
        const now = options.now();
        const rows = await readDriftRows(db, { ...filter, state: DriftState.UNSPECIFIED }, after, chunkSize, now);
        if (rows.length === 0) return;
        const records = await judge(rows, now);
        yield filter.state === DriftState.UNSPECIFIED
          ? records
          : records.filter((r) => r.verdict.state === filter.state);
        if (rows.length < chunkSize) return;
        after = rows[rows.length - 1].name;
      }
    },
  };
  return reader;
}

function toRecord(row: DriftRow, desired: SatelliteDesiredState, now: Date, policy: DriftPolicy): SatelliteDriftRecord {
  const verdict = classifyDrift(
    {
      groups: desired.groups,
      stateDigest: row.stateDigest ?? "",
      stateStoredAt: row.stateStoredAt,
      createdAt: row.createdAt,
      pending: desired.pending,
      replicationIntervalSeconds: replicationSeconds(desired.replicationInterval, now),
    },
    { lastSeen: row.lastSeen, heartbeatIntervalSeconds: row.intervalSeconds, latest: row.latest },
    now,
    policy,
  );
  return {
    name: row.name,
    region: row.region,
    lastSeen: row.lastSeen,
    groups: desired.groups.map((g) => g.name),
    desiredStateDigest: row.stateDigest ?? "",
    reportedStateDigest: row.latest?.stateDigest ?? "",
    pending: desired.pending,
    verdict,
  };
}

/** A config's replication interval in seconds; undefined when unset or unreadable (the policy's default then). */
function replicationSeconds(raw: string | undefined, now: Date): number | undefined {
  if (!raw) return undefined;
  try {
    return normalizeInterval(raw, now)?.seconds;
  } catch {
    return undefined;
  }
}
