// `ground_control.satellites.drift`: the fleet by drift verdict (drift.ts: in_sync, converging,
// failing, stale, never_seen), counted by walking the drift reader's scan when metrics are
// collected. A walk reads the whole fleet in chunks of 250 (five indexed queries each) and judges
// every satellite: ~0.3 s of Ground Control's CPU for 5,000 satellites, so ~10 s for 150,000.
// One count therefore serves collections for a minute, or for 50 times as long as the last walk
// took when that is longer (a walk then costs at most 2 % of a core: ~8 minutes at 150,000), and
// after the first an expired count is answered at once while the next is computed behind it: a
// scrape never waits for a walk.
import { DriftState } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { cachedValue, instrumentScope } from "@harbor-satellite/telemetry/metrics";
import type { DriftReader } from "../drift-reader.js";

export const DRIFT_CLASSES = ["in_sync", "converging", "failing", "stale", "never_seen"] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

const CLASS_OF: Partial<Record<DriftState, DriftClass>> = {
  [DriftState.IN_SYNC]: "in_sync",
  [DriftState.CONVERGING]: "converging",
  [DriftState.FAILING]: "failing",
  [DriftState.STALE]: "stale",
  [DriftState.NEVER_SEEN]: "never_seen",
};

const gauge = instrumentScope("@harbor-satellite/heartbeat").observableGauge("ground_control.satellites.drift", {
  unit: "{satellite}",
  description:
    "Satellites by drift verdict: in_sync, converging (a pass is still due), failing (one was due and did not bring it in sync), stale, never_seen.",
});

const ATTRIBUTES = Object.fromEntries(DRIFT_CLASSES.map((d) => [d, { "satellite.drift": d }])) as Record<
  DriftClass,
  { "satellite.drift": DriftClass }
>;

/** Every satellite's verdict, counted per class. */
export async function countByDrift(reader: Pick<DriftReader, "scan">): Promise<Record<DriftClass, number>> {
  const counts = Object.fromEntries(DRIFT_CLASSES.map((d) => [d, 0])) as Record<DriftClass, number>;
  for await (const records of reader.scan()) {
    for (const record of records) {
      const drift = CLASS_OF[record.verdict.state];
      if (drift) counts[drift]++;
    }
  }
  return counts;
}

/** A walk's count serves collections this many times as long as the walk took. */
export const DRIFT_WALK_FACTOR = 50;

/** Reports the fleet's drift at every collection until the returned function is called. */
export function observeFleetDrift(reader: Pick<DriftReader, "scan">, minTtlMs = 60_000): () => void {
  let lastWalkMs = 0;
  const walk = async () => {
    const started = performance.now();
    try {
      return await countByDrift(reader);
    } finally {
      lastWalkMs = performance.now() - started;
    }
  };
  const counts = cachedValue(() => Math.max(minTtlMs, DRIFT_WALK_FACTOR * lastWalkMs), walk, { serveStale: true });
  return gauge.addCallback(async (result) => {
    const current = await counts();
    for (const drift of DRIFT_CLASSES) result.observe(current[drift], ATTRIBUTES[drift]);
  });
}
