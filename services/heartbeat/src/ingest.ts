// The Sync write path: satellite name → id (cached), then the group-commit batcher, which
// resolves each call once the batch holding its row has committed.
import { NotFoundError } from "@harbor-satellite/rpc";
import type { HeartbeatRow } from "./heartbeat-row.js";
import { IngestBatcher, type BatcherStats } from "./ingest-batcher.js";
import { ingestMetrics, observeIngestQueue } from "./metrics/ingest-metrics.js";
import type { HeartbeatWriter, PendingHeartbeat, WriteOutcome } from "./ingest-writer.js";
import { SatelliteIds, type SatelliteLookup } from "./satellite-ids.js";

export interface IngestOptions {
  /** Rows per INSERT (default 1000). */
  maxBatch?: number;
  /** Least milliseconds between batch starts, unless a batch is full (default 10). */
  lingerMs?: number;
  /** Concurrent batch writes, i.e. connections used by ingest (default 4). */
  maxInFlight?: number;
  /** Queued rows beyond which Sync answers Unavailable (default 50,000). */
  maxQueued?: number;
}

export interface Recorded {
  receivedAt: Date;
  /** Digest of the satellite-state artifact served for the satellite now, if any. */
  stateDigest: string | undefined;
}

export interface Ingest {
  /** Records one heartbeat; resolves once committed, with when, and the satellite's state digest. */
  record(row: HeartbeatRow): Promise<Recorded>;
  stats(): BatcherStats & { cachedSatellites: number };
  close(): Promise<void>;
}

export function createIngest(lookup: SatelliteLookup, write: HeartbeatWriter, options: IngestOptions = {}): Ingest {
  const ids = new SatelliteIds(lookup);
  const batcher = new IngestBatcher<PendingHeartbeat, WriteOutcome>({
    write,
    keyOf: (p) => p.satelliteId,
    maxBatch: options.maxBatch ?? 1000,
    lingerMs: options.lingerMs ?? 10,
    maxInFlight: options.maxInFlight ?? 4,
    maxQueued: options.maxQueued ?? 50_000,
    observer: ingestMetrics,
  });
  const stopObservingQueue = observeIngestQueue(() => batcher.queued);

  async function record(row: HeartbeatRow): Promise<Recorded> {
    // Twice at most: a cached id can be stale once (satellite deleted, maybe re-created).
    for (let attempt = 0; attempt < 2; attempt++) {
      const resolved = ids.resolve(row.name);
      const satelliteId = typeof resolved === "number" ? resolved : await resolved;
      if (satelliteId === undefined) break;
      const outcome = await batcher.submit({ satelliteId, row });
      if (outcome instanceof Error) throw outcome;
      if (outcome) return { receivedAt: outcome.receivedAt, stateDigest: outcome.stateDigest };
      ids.forget(row.name);
    }
    throw new NotFoundError("satellite", row.name);
  }

  return {
    record,
    stats: () => ({ ...batcher.stats(), cachedSatellites: ids.size }),
    close: () => {
      stopObservingQueue();
      return batcher.close();
    },
  };
}
