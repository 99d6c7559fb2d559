// `satellite` with no subcommand: the agent. Parses flags (UsageError → exit 2), starts tracing
// and pino logs with trace ids, runs the agent until SIGINT or SIGTERM, then stops it gracefully.
//   satellite --ground-control-url URL (--token-file F | --spiffe-enabled --spiffe-endpoint-socket unix:///…) [--data-dir DIR] …
import { waitForShutdown } from "@harbor-satellite/serving";
import { createLogger, startTelemetry } from "@harbor-satellite/telemetry";
import {
  listenMetrics,
  MetricsListenError,
  startMetrics,
  type MetricsListener,
} from "@harbor-satellite/telemetry/metrics";
import { UsageError } from "../flags/usage-error.js";
import { ExitCode } from "./exit-code.js";
import { startAgent } from "../agent/agent.js";
import { AGENT_HELP, parseAgentArgs } from "../agent/agent-options.js";
import { runFallbackOnly } from "../agent/fallback-only.js";

/** Beyond the pass's --shutdown-timeout: the registry's drain and closing the store. */
const SHUTDOWN_SLACK_MS = 4000;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${AGENT_HELP}\n`);
    return ExitCode.Ok;
  }
  const options = parseAgentArgs(argv);
  if (options.fallbackOnly) {
    // The original's --fallback-only: configure the runtimes, say what happened, exit.
    const report = await runFallbackOnly(options, {
      logger: createLogger({ name: "satellite", level: options.logLevel ?? "info" }),
    });
    process.stdout.write(`${report?.activity ?? "cri_fallback_configured: nothing to configure"}\n`);
    return report?.failed ? ExitCode.Failure : ExitCode.Ok;
  }
  const telemetry = startTelemetry("satellite");
  const metrics = options.metrics.enabled ? startMetrics("satellite", { prometheus: true }) : undefined;
  await Promise.all([telemetry.ready, metrics?.ready]);
  const logger = createLogger({ name: "satellite", level: options.logLevel ?? "info" });
  let metricsListener: MetricsListener | undefined;
  if (metrics && options.metrics.addr) {
    metricsListener = await listenMetrics(options.metrics.addr, metrics, logger).catch((error: unknown) => {
      throw error instanceof MetricsListenError
        ? new UsageError(`${error.message}; choose another --metrics-addr`)
        : error;
    });
  }
  if (options.tokenSource === "flag")
    logger.warn(
      "--token is visible to every user of this machine (ps, /proc/<pid>/cmdline) while the agent runs; prefer --token-file FILE or SATELLITE_TOKEN",
    );
  const stopping = waitForShutdown({
    // The running pass gets --shutdown-timeout to abort; the rest (registry drain, store close) fits in what is left.
    graceMs: options.shutdownTimeoutMs + SHUTDOWN_SLACK_MS,
    onForce: (why) => logger.warn({ why }, "stopping now, without waiting for work in flight"),
  });
  const agent = await startAgent(options, {
    logger,
    prometheus: metrics && { metrics, onRegistryPort: !metricsListener },
  }).catch(async (error: unknown) => {
    await metricsListener?.close();
    throw error;
  });
  process.stdout.write(
    agent.status().config.app_config.bring_own_registry
      ? `satellite replicates into the bring-your-own registry ${agent.registryUrl} (no registry of its own)\n`
      : `satellite registry listening on ${agent.registryUrl}\n`,
  );
  void agent.enrolled.then((how) => process.stdout.write(`satellite enrolled (${how})\n`));
  const signal = await stopping;
  logger.info({ signal }, "shutting down");
  await agent.stop();
  await metricsListener?.close();
  await metrics?.shutdown().catch(() => undefined);
  await telemetry.shutdown().catch(() => undefined);
  logger.info("stopped");
  return ExitCode.Ok;
}
