// `ground-control` entry point: config errors exit 2, start failures exit 1, signals stop cleanly.
import { waitForShutdown } from "@harbor-satellite/serving";
import { createLogger, startMetrics, startTelemetry } from "@harbor-satellite/telemetry";
import { HELP, parseConfig } from "./config.js";
import { startGroundControl } from "./app.js";
import { isClusterWorker, runClusterPrimary } from "./cluster.js";
import { describeStartupFailure } from "./startup-failure.js";

/** A stop finishes within this (requests get ~5 s to drain, then the database closes), or is forced. */
const SHUTDOWN_GRACE_MS = 9000;

export async function main(argv: string[]): Promise<number> {
  let config;
  try {
    config = parseConfig(argv, process.env);
  } catch (error) {
    process.stderr.write(`ground-control: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}\n`);
    return 2;
  }
  if (config === "help") {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const telemetry = startTelemetry("ground-control");
  await telemetry.ready;
  const logger = createLogger({ name: "ground-control", level: config.logLevel as "info" });
  if (config.workers > 1 && !isClusterWorker()) {
    try {
      return await runClusterPrimary(config, logger);
    } catch (error) {
      return reportStartupFailure(error, config, logger);
    } finally {
      await telemetry.shutdown();
    }
  }
  // Loads the metrics SDK while the database opens; startGroundControl waits for it before serving.
  const metrics = config.metrics.enabled ? startMetrics("ground-control", { prometheus: true }) : undefined;
  let gc;
  try {
    gc = await startGroundControl(config, logger, { metrics });
  } catch (error) {
    await metrics?.shutdown().catch(() => undefined);
    await telemetry.shutdown();
    return reportStartupFailure(error, config, logger);
  }
  const signal = await waitForShutdown({
    graceMs: SHUTDOWN_GRACE_MS,
    onForce: (why) => logger.warn({ why }, "stopping now, without waiting for work in flight"),
  });
  logger.info({ signal }, "shutting down");
  await gc.close();
  await metrics?.shutdown().catch(() => undefined);
  await telemetry.shutdown();
  // A cluster worker's IPC channel would keep it alive after a clean stop.
  if (isClusterWorker()) process.exit(0);
  return 0;
}

/** One plain line for a failure the operator can fix (its stack at debug), the full error for a bug. */
function reportStartupFailure(
  error: unknown,
  config: Parameters<typeof describeStartupFailure>[1],
  logger: ReturnType<typeof createLogger>,
): number {
  const failure = describeStartupFailure(error, config);
  if (!failure) {
    logger.error({ err: error }, "ground control failed to start");
    return 1;
  }
  logger.debug({ err: error }, "start-up failed");
  process.stderr.write(`ground-control: ${failure.message}\n`);
  return failure.exitCode;
}
