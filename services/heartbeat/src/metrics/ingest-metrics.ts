// Instruments of the heartbeat write path (ingest-batcher.ts), cheap enough for every heartbeat:
// per batch one counter add and one histogram record with attribute sets made once; per
// heartbeat one record into a bound series (its lag). bench/heartbeat measures the cost.
import {
  boundHistogram,
  instrumentScope,
  metricsEnabled,
  type ObservableResult,
} from "@harbor-satellite/telemetry/metrics";
import type { BatchObserver } from "../ingest-batcher.js";

const scope = instrumentScope("@harbor-satellite/heartbeat");

const ingested = scope.counter("ground_control.heartbeat.ingested", {
  unit: "{heartbeat}",
  description: "Heartbeats through the group-commit ingest, by outcome: committed, or failed with their batch.",
});
const batchSize = scope.histogram("ground_control.heartbeat.batch.size", {
  unit: "{heartbeat}",
  description: "Heartbeats per ingest batch (one INSERT and one commit each).",
  advice: { explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] },
});
// Recorded per heartbeat: a bound series (no attribute hashing per call).
const lag = boundHistogram("@harbor-satellite/heartbeat", "ground_control.heartbeat.ingest.lag", {
  unit: "s",
  description:
    "Time from a heartbeat's arrival at the ingest queue to the commit of its batch (queueing, linger and the write).",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
}).bind({});
const queued = scope.observableGauge("ground_control.heartbeat.ingest.queued", {
  unit: "{heartbeat}",
  description: "Heartbeats waiting in the ingest queue for a batch.",
});

const COMMITTED = { outcome: "committed" } as const;
const FAILED = { outcome: "failed" } as const;

/** The batcher's report of one batch (ingest-batcher.ts BatchObserver); a no-op while metrics are off. */
export const ingestMetrics: BatchObserver = {
  batchWritten(size, failed, queuedAt) {
    if (!metricsEnabled()) return;
    ingested.add(size, failed ? FAILED : COMMITTED);
    batchSize.record(size);
    if (failed) return;
    const now = performance.now();
    for (let i = 0; i < size; i++) lag.record((now - queuedAt(i)) / 1000);
  },
};

/** Reports the queue length at every collection until the returned function is called. */
export function observeIngestQueue(length: () => number): () => void {
  return queued.addCallback((result: ObservableResult) => result.observe(length()));
}
