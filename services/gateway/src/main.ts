// `ground-control` entry point: config errors exit 2, start failures exit 1, signals stop cleanly.
import { createLogger, startTelemetry } from "@harbor-satellite/telemetry";
import { DatabaseLockedError } from "@harbor-satellite/db";
import { AdminPasswordMissingError } from "@harbor-satellite/identity";
import { ConfigError, HELP, parseConfig } from "./config.js";
import { startGroundControl } from "./app.js";
import { isClusterWorker, runClusterPrimary } from "./cluster.js";

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
      if (error instanceof AdminPasswordMissingError) {
        process.stderr.write(`ground-control: ${error.message}\n`);
        return 2;
      }
      logger.error({ err: error }, "ground control failed to start");
      return 1;
    } finally {
      await telemetry.shutdown();
    }
  }
  let gc;
  try {
    gc = await startGroundControl(config, logger);
  } catch (error) {
    if (error instanceof AdminPasswordMissingError || error instanceof ConfigError) {
      process.stderr.write(`ground-control: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DatabaseLockedError) {
      // Another Ground Control has the data dir: one line saying which and what to do, no stack.
      process.stderr.write(`ground-control: ${error.message}\n`);
      return 1;
    }
    logger.error({ err: error }, "ground control failed to start");
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  logger.info("shutting down");
  await gc.close();
  await telemetry.shutdown();
  // A cluster worker's IPC channel would keep it alive after a clean stop.
  if (isClusterWorker()) process.exit(0);
  return 0;
}
