// The content store as metrics:
//   satellite.store.size          gauge By: bytes of blob files (manifests included)
//   satellite.store.blobs         gauge {blob}: blob files
//   satellite.store.repositories  gauge {repository}: repositories holding a manifest
//   satellite.store.gc.reclaimed  counter By, and satellite.store.gc.removed {blob}: what garbage
//                                 collection deleted
//   satellite.store.gc.runs       counter {run}, and satellite.store.gc.duration histogram s: every
//                                 garbage collection (after passes that removed images, scheduled)
//   satellite.store.quota         gauge By: app_config.store_quota (0: none), and
//   satellite.store.quota.used    gauge By: what the tagged images held after the last quota check
// Size and blob count take a stat of every blob file, so they are computed when metrics are
// collected and kept for a minute, never on the serving path.
import { cachedValue, instrumentScope } from "@harbor-satellite/telemetry/metrics/instruments";

const scope = instrumentScope("@harbor-satellite/satellite");
const size = scope.observableGauge("satellite.store.size", {
  unit: "By",
  description: "Bytes of the store's blob files (manifests included).",
});
const blobCount = scope.observableGauge("satellite.store.blobs", {
  unit: "{blob}",
  description: "Blob files in the store.",
});
const repositories = scope.observableGauge("satellite.store.repositories", {
  unit: "{repository}",
  description: "Repositories holding at least one manifest.",
});
const reclaimed = scope.counter("satellite.store.gc.reclaimed", {
  unit: "By",
  description: "Bytes garbage collection freed.",
});
const removed = scope.counter("satellite.store.gc.removed", {
  unit: "{blob}",
  description: "Blob files garbage collection deleted.",
});

const gcRuns = scope.counter("satellite.store.gc.runs", {
  unit: "{run}",
  description: "Garbage collections of the store.",
});
const gcDuration = scope.histogram("satellite.store.gc.duration", {
  unit: "s",
  description: "Duration of garbage collections (mark and sweep, under the store's exclusive lock).",
  advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
});
const quota = scope.observableGauge("satellite.store.quota", {
  unit: "By",
  description: "The store quota (app_config.store_quota); 0 when there is none.",
});
const quotaUsed = scope.observableGauge("satellite.store.quota.used", {
  unit: "By",
  description:
    "Bytes the tagged images held after the last quota check (each file once), against satellite.store.quota.",
});

export interface MeasuredStore {
  usage(): Promise<{ bytes: number; blobs: number }>;
  listRepositories(): Promise<string[]>;
}

/** Reports the store's figures at every collection until the returned function is called. */
export function observeStore(store: MeasuredStore, ttlMs = 60_000): () => void {
  const usage = cachedValue(ttlMs, () => store.usage());
  const stops = [
    size.addCallback(async (r) => r.observe((await usage()).bytes)),
    blobCount.addCallback(async (r) => r.observe((await usage()).blobs)),
    repositories.addCallback(async (r) => r.observe((await store.listRepositories()).length)),
  ];
  return () => stops.forEach((stop) => stop());
}

/** Records one garbage collection. */
export function recordGarbageCollection(result: { removedBlobs: number; freedBytes: number; seconds?: number }): void {
  reclaimed.add(result.freedBytes);
  removed.add(result.removedBlobs);
  gcRuns.add(1);
  if (result.seconds !== undefined) gcDuration.record(result.seconds);
}

export interface QuotaFigures {
  /** The quota in bytes, undefined when none. */
  quotaBytes(): number | undefined;
  /** Bytes the last quota check measured; undefined before the first. */
  usedBytes(): number | undefined;
}

/** Reports the quota gauges at every collection until the returned function is called. */
export function observeQuota(figures: QuotaFigures): () => void {
  const stops = [
    quota.addCallback((r) => r.observe(figures.quotaBytes() ?? 0)),
    quotaUsed.addCallback((r) => {
      const used = figures.usedBytes();
      if (used !== undefined) r.observe(used);
    }),
  ];
  return () => stops.forEach((stop) => stop());
}
