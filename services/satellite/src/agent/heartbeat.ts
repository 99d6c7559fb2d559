// One heartbeat, every field filled (the original left the digests and the sync duration at
// zero): device figures, the local registry's images, the last pass's digests, duration and
// errors, the heartbeat interval, the creation time, and an activity line that carries the
// runtime-mirror results on the first heartbeat and the last pass's outcome on every one; the
// store scrub adds an error per quarantined blob not fetched again yet, and its last outcome.
import type { SatelliteConfig } from "../config/satellite-config.js";
import { satelliteNameFromStateUrl } from "../state/state-reference.js";
import type { MetricsCollector } from "../metrics/metrics-collector.js";
import type { CachedImageCatalog } from "./cached-images.js";
import type { Heartbeat } from "./ground-control-client.js";
import type { ReplicationReport } from "./state-replication.js";

export interface HeartbeatSources {
  config: () => SatelliteConfig;
  /** The name Ground Control gave at enrolment, when known. */
  satelliteName: () => string | undefined;
  metrics: MetricsCollector;
  images: CachedImageCatalog;
  replication: () => Promise<ReplicationReport>;
  /** The runtime-mirror outcome, until a heartbeat carrying it got through (the agent clears it). */
  pendingActivity: () => string | undefined;
  /** The store scrub: a heartbeat error per quarantined blob not fetched again yet, and a line about the last scrub. */
  store?: () => Promise<{ errors: { reference: string; message: string }[]; activity?: string }>;
  /** While no sync window is open: "outside sync window, next window at <ISO time>". */
  syncWindow?: () => string | undefined;
  now?: () => Date;
}

/** Ground Control keeps at most this many error messages per heartbeat meaningful; more are summarised. */
const MAX_ERRORS = 100;
const MAX_MESSAGE = 1_000;

export async function collectHeartbeat(sources: HeartbeatSources): Promise<Heartbeat> {
  const config = sources.config();
  const name = sources.satelliteName() ?? satelliteNameFromStateUrl(config.state_config.state);
  if (!name) throw new Error("cannot tell this satellite's name: no enrolment and no satellite-state URL");
  const [metrics, cachedImages, replication, store] = await Promise.all([
    sources.metrics.collect(),
    sources.images.list(),
    sources.replication(),
    sources.store?.(),
  ]);
  const activity = [sources.pendingActivity(), sources.syncWindow?.(), replication.summary, store?.activity]
    .filter(Boolean)
    .join("; ");
  const all = [...replication.errors, ...(store?.errors ?? [])];
  const errors = all
    .slice(0, MAX_ERRORS)
    .map((e) => ({ reference: e.reference, message: e.message.slice(0, MAX_MESSAGE) }));
  if (all.length > MAX_ERRORS)
    errors.push({ reference: "(more)", message: `${all.length - MAX_ERRORS} more errors not listed` });
  return {
    name,
    activity,
    stateReportInterval: config.app_config.heartbeat_interval,
    latestStateDigest: replication.stateDigest,
    latestConfigDigest: replication.configDigest,
    memoryUsedBytes: metrics.memoryUsedBytes,
    storageUsedBytes: metrics.storageUsedBytes,
    cpuPercent: metrics.cpuPercent,
    createdAt: (sources.now ?? (() => new Date()))(),
    lastSyncDurationMs: BigInt(replication.lastSyncDurationMs),
    cachedImages,
    errors,
  };
}
