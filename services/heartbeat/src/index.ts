// Public surface of @harbor-satellite/heartbeat: the module the gateway mounts.
import type { ConnectRouter } from "@connectrpc/connect";
import type { Database } from "@harbor-satellite/db";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import type { ServiceModule } from "@harbor-satellite/rpc";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { createDriftReader, type DriftReader } from "./drift-reader.js";
import { createDriftHandlers } from "./drift-service.js";
import type { DriftPolicy } from "./drift.js";
import { createHeartbeatService } from "./heartbeat-service.js";
import { createCredentialRefresher, DEFAULT_ROTATION_POLICY, type RotationPolicy } from "./credential-refresh.js";
import type { Client } from "@connectrpc/connect";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { createIngest, type Ingest, type IngestOptions } from "./ingest.js";
import { createHeartbeatWriter } from "./ingest-writer.js";
import { createRetentionJob, type RetentionJob, type RetentionOptions } from "./retention.js";
import { lookupSatelliteIds } from "./store.js";
import { HEARTBEAT_BINARY_DECODERS } from "./sync-request-decoder.js";

export interface HeartbeatModuleDeps {
  db: Database;
  logger?: Logger;
  /** The clock for received times and the status rule; tests move it. */
  now?: () => Date;
  /** Group-commit tuning. */
  ingest?: IngestOptions;
  /** Retention window and schedule. */
  retention?: RetentionOptions;
  /** GROUND_CONTROL_URL, for the satellite-state URL in Sync's answer; unset, each call's own. */
  publicUrl?: string;
  /** Interval of the "heartbeat ingest" stats log line while heartbeats arrive (default 60 s; 0 disables). */
  statsIntervalMs?: number;
  /** How long a change may take to reach a satellite before its drift is FAILING (drift.ts). */
  drift?: DriftPolicy;
  /**
   * Credential refresh: rotates robot secrets through the registry service and delivers them in
   * heartbeat answers (credential-refresh.ts). Absent: no rotation.
   */
  credentialRefresh?: { registry: Client<typeof RegistryService>; policy?: RotationPolicy };
}

export interface HeartbeatModule extends ServiceModule {
  /** The retention job, for tests and operators who want a round now. */
  readonly retention: RetentionJob;
  /** Ingest counters: batches, rows, largest batch, write time. */
  stats(): ReturnType<Ingest["stats"]>;
  /** The drift view (verdicts per satellite), e.g. for metrics counting satellites by drift state. */
  readonly drift: DriftReader;
}

export function createHeartbeatModule(deps: HeartbeatModuleDeps): HeartbeatModule {
  const logger = deps.logger ?? createLogger({ name: "heartbeat" });
  const now = deps.now ?? (() => new Date());
  const ingest = createIngest(
    (names) => lookupSatelliteIds(deps.db, names),
    createHeartbeatWriter(deps.db, now, logger),
    deps.ingest,
  );
  const retention = createRetentionJob(deps.db, logger, now, deps.retention);
  const service = createHeartbeatService({
    db: deps.db,
    ingest,
    now,
    publicUrl: deps.publicUrl?.replace(/\/+$/, "") || undefined,
    credentials: deps.credentialRefresh
      ? createCredentialRefresher({
          db: deps.db,
          registry: deps.credentialRefresh.registry,
          policy: deps.credentialRefresh.policy ?? DEFAULT_ROTATION_POLICY,
          now,
          logger,
        })
      : undefined,
  });
  const drift = createDriftReader(deps.db, { now, policy: deps.drift });
  const statsIntervalMs = deps.statsIntervalMs ?? 60_000;
  let statsTimer: ReturnType<typeof setInterval> | undefined;

  return {
    name: "heartbeat",
    serviceNames: [HeartbeatService.typeName],
    retention,
    drift,
    stats: () => ingest.stats(),
    binaryDecoders: HEARTBEAT_BINARY_DECODERS,
    routes(router: ConnectRouter) {
      router.service(HeartbeatService, { ...service, ...createDriftHandlers(drift) });
    },
    start() {
      retention.start();
      if (statsIntervalMs > 0) statsTimer = logStatsPeriodically(ingest, logger, statsIntervalMs);
    },
    async stop() {
      if (statsTimer) clearInterval(statsTimer);
      await Promise.all([retention.stop(), ingest.close()]);
    },
  };
}

/** One line per period with traffic: how many heartbeats, in how many batches. */
function logStatsPeriodically(ingest: Ingest, logger: Logger, intervalMs: number): ReturnType<typeof setInterval> {
  let last = ingest.stats();
  const timer = setInterval(() => {
    const current = ingest.stats();
    const rows = current.rows - last.rows;
    const batches = current.batches - last.batches;
    if (rows > 0) {
      logger.info(
        {
          heartbeats: rows,
          batches,
          mean_batch: Math.round(rows / batches),
          failed_batches: current.failedBatches - last.failedBatches,
          mean_write_ms: +((current.writeMs - last.writeMs) / batches).toFixed(2),
          satellites_cached: current.cachedSatellites,
        },
        "heartbeat ingest",
      );
    }
    last = current;
  }, intervalMs);
  timer.unref();
  return timer;
}

export { healthOf, DEFAULT_INTERVAL_SECONDS, MISSED_INTERVALS } from "./health.js";
export { normalizeInterval } from "./interval.js";
export type { IngestOptions } from "./ingest.js";
export type { RetentionOptions, RetentionRound, RetentionJob } from "./retention.js";
export { classifyDrift, driftDueAt, DEFAULT_DRIFT_POLICY } from "./drift.js";
export type { DriftDesired, DriftPolicy, DriftReport, DriftVerdict } from "./drift.js";
export { compareImages } from "./drift-images.js";
export type { DesiredArtifact, ImageDriftEntry } from "./drift-images.js";
export { createDriftReader } from "./drift-reader.js";
export type { DriftPage, DriftReader, SatelliteDriftRecord } from "./drift-reader.js";
export type { DriftFilter } from "./drift-store.js";
export { toSatelliteDrift } from "./drift-service.js";
export { DEFAULT_ROTATION_POLICY, rotationDue, rotationStep } from "./credential-refresh.js";
export type { RotationPolicy } from "./credential-refresh.js";
export { HEARTBEAT_BINARY_DECODERS } from "./sync-request-decoder.js";
