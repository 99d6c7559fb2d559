// The content store as metrics:
//   satellite.store.size          gauge By: bytes of blob files (manifests included)
//   satellite.store.blobs         gauge {blob}: blob files
//   satellite.store.repositories  gauge {repository}: repositories holding a manifest
//   satellite.store.gc.reclaimed  counter By, and satellite.store.gc.removed {blob}: what garbage
//                                 collection deleted
// Size and blob count take a stat of every blob file, so they are computed when metrics are
// collected and kept for a minute, never on the serving path.
import { cachedValue, instrumentScope } from "@harbor-satellite/telemetry/metrics";

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
export function recordGarbageCollection(result: { removedBlobs: number; freedBytes: number }): void {
  reclaimed.add(result.freedBytes);
  removed.add(result.removedBlobs);
}
