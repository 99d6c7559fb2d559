// Ground Control's metrics beside the rpc interceptor: the database client, the fleet-wide
// gauges (satellites by health and by drift, the outbox), and the `--metrics-addr` listener.
// Fleet-wide gauges are counted from the shared database, so exactly one process reports each:
// the one serving the service they belong to (heartbeat, fleet) and, with --workers, only worker
// 1 of them; the others report their own traffic only, and Prometheus sums processes without
// double counting.
import type { HeartbeatModule } from "@harbor-satellite/heartbeat";
import { observeFleetDrift, observeFleetHealth } from "@harbor-satellite/heartbeat/metrics";
import { observeOutbox } from "@harbor-satellite/fleet/metrics";
import type { DatabaseHandle } from "@harbor-satellite/db";
import type { ServiceModule } from "@harbor-satellite/rpc";
import type { Logger } from "@harbor-satellite/telemetry";
import {
  listenMetrics,
  MetricsListenError,
  type Metrics,
  type MetricsListener,
} from "@harbor-satellite/telemetry/metrics";
import { ConfigError, type GatewayConfig } from "../config.js";
import { instrumentDatabase } from "./database-metrics.js";

export interface GatewayMetrics {
  /** Whether the gateway port answers /metrics (metrics on, and no --metrics-addr). */
  readonly onGatewayPort: boolean;
  close(): Promise<void>;
}

/** This process's place among --workers: 0 for the first worker, or a process of its own. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number {
  const index = Number(env.GC_WORKER_INDEX ?? 0);
  return Number.isInteger(index) && index >= 0 ? index : 0;
}

export async function startGatewayMetrics(options: {
  config: GatewayConfig;
  database: DatabaseHandle;
  modules: readonly ServiceModule[];
  metrics?: Metrics;
  logger: Logger;
}): Promise<GatewayMetrics> {
  const { config, database, metrics, logger } = options;
  if (!metrics || !config.metrics.enabled) return { onGatewayPort: false, close: async () => {} };
  // The SDK has been loading since main() started it, beside opening the database.
  await metrics.ready;
  const stops: (() => void)[] = [instrumentDatabase(database)];
  const worker = workerIndex();
  if (worker === 0) {
    if (config.services.includes("heartbeat")) stops.push(observeFleetHealth(database.db));
    const heartbeat = options.modules.find((m) => m.name === "heartbeat") as Partial<HeartbeatModule> | undefined;
    if (heartbeat?.drift) stops.push(observeFleetDrift(heartbeat.drift));
    if (config.services.includes("fleet")) stops.push(observeOutbox(database.db));
  }
  let listener: MetricsListener | undefined;
  const addr = config.metrics.addr;
  if (addr) {
    const port = addr.port === 0 ? 0 : addr.port + worker;
    listener = await listenMetrics({ host: addr.host, port }, metrics, logger).catch((error: unknown) => {
      for (const stop of stops) stop();
      // One line for the operator (startup-failure.ts prints ConfigErrors as they are).
      throw error instanceof MetricsListenError
        ? new ConfigError(`${error.message}; choose another --metrics-addr`)
        : error;
    });
    logger.info({ host: addr.host, port: listener.port }, "metrics served at /metrics");
  } else if (config.workers > 1 && worker === 0) {
    logger.warn(
      "with --workers, /metrics on the gateway port answers from whichever worker takes the connection: set --metrics-addr to give each worker a port of its own",
    );
  }
  return {
    onGatewayPort: !addr,
    async close() {
      for (const stop of stops) stop();
      await listener?.close();
    },
  };
}
