// The agent's scheduled store scrub as metrics:
//   satellite.store.scrub.read            counter By: bytes the scrub read and hashed
//   satellite.store.scrub.corrupt         counter {blob}: blobs found not to match their digest (quarantined)
//   satellite.store.scrub.quarantined     gauge {blob}: of those, the ones not fetched again yet
//   satellite.store.scrub.last_completed  gauge s: Unix time of the last full pass (0 before the first)
import { instrumentScope } from "@harbor-satellite/telemetry/metrics/instruments";

const scope = instrumentScope("@harbor-satellite/satellite");
const read = scope.counter("satellite.store.scrub.read", {
  unit: "By",
  description: "Bytes the store scrub read and re-hashed.",
});
const corrupt = scope.counter("satellite.store.scrub.corrupt", {
  unit: "{blob}",
  description: "Blobs the store scrub found not matching their digest (quarantined, fetched again by the next pass).",
});
const quarantined = scope.observableGauge("satellite.store.scrub.quarantined", {
  unit: "{blob}",
  description: "Blobs the scrub quarantined that are not back in the store yet.",
});
const lastCompleted = scope.observableGauge("satellite.store.scrub.last_completed", {
  unit: "s",
  description: "Unix time the last full store scrub ended (0 before the first).",
});

export function recordScrubRead(bytes: number): void {
  read.add(bytes);
}

export function recordScrubCorrupt(blobs: number): void {
  if (blobs > 0) corrupt.add(blobs);
}

export interface ScrubFigures {
  /** Unix ms of the last completed pass, or undefined. */
  lastCompletedAt(): number | undefined;
  /** Quarantined blobs still missing. */
  awaiting(): number;
}

/** Reports the scrub's gauges at every collection until the returned function is called. */
export function observeScrub(figures: ScrubFigures): () => void {
  const stops = [
    quarantined.addCallback((r) => r.observe(figures.awaiting())),
    lastCompleted.addCallback((r) => r.observe((figures.lastCompletedAt() ?? 0) / 1000)),
  ];
  return () => stops.forEach((stop) => stop());
}
