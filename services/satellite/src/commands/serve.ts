// `satellite serve`: the local OCI registry alone, over a data dir.
//   satellite serve --data-dir DIR [--addr 127.0.0.1:8585] [--read-only | --registry-write-credentials-file F]
//                   [--scrub-interval 24h --scrub-rate 32] [--gc-interval 6h] [--log-level info]
//   satellite serve --data-dir DIR --verify      re-hash the whole store, report, exit 1 if bad
// Writes: anonymous only on a loopback address (the default 127.0.0.1); on any other address
// the operator must choose --read-only, --registry-write-credentials-file, or --anonymous-writes.
// The satellite config's require_signature (--config FILE, else the agent's DIR/config.json) gates
// manifests as in the agent: an image no trusted key's signature verifies gets 403 DENIED. A config
// that cannot be read is a usage error (exit 2), not a registry serving without its policy.
// Runs until SIGINT or SIGTERM, then stops accepting, finishes what is in flight and releases
// the data dir.
import { parseArgs } from "node:util";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { listenMetrics, MetricsListenError, startMetrics } from "@harbor-satellite/telemetry/metrics";
import type { LevelWithSilent } from "pino";
import { ExitCode } from "./exit-code.js";
import { UsageError } from "../flags/usage-error.js";
import { startRegistryServer } from "../registry/server.js";
import type { UploadSessionLimits } from "../registry/upload-sessions.js";
import { describeWriteAccess } from "../registry/write-access.js";
import { waitForShutdown, type ServerLimits } from "@harbor-satellite/serving";
import { openContentStore } from "../store/open-store.js";
import { verifyStore } from "../store/verify.js";
import { loadEdgePolicy, signaturePolicyOf } from "./edge-policy.js";
import { isLoopbackHost, parseAddr, parseDuration } from "../flags/flag-values.js";
import { observeStore } from "../telemetry/store-metrics.js";
import {
  METRICS_FLAGS_HELP,
  METRICS_FLAG_OPTIONS,
  parseMetricsFlags,
  type MetricsFlags,
} from "../flags/metrics-flags.js";
import {
  REGISTRY_FLAGS_HELP,
  REGISTRY_FLAG_OPTIONS,
  loadRegistryTls,
  parseRegistryFlags,
  resolveReadCredentials,
  resolveWriteAccess,
  type RegistryFlags,
} from "../flags/registry-flags.js";

export { parseAddr, parseDuration } from "../flags/flag-values.js";

export const DEFAULT_SERVE_ADDR = "127.0.0.1:8585";

const HELP = `Usage: satellite serve --data-dir DIR [options]

  --data-dir DIR          content store (an OCI image layout; created when missing)
  --addr HOST:PORT        listen address (default ${DEFAULT_SERVE_ADDR}; port 0 picks one)
  --read-only             serve pulls only; pushes and deletes get 405 UNSUPPORTED
  --anonymous-writes      let anyone who reaches --addr push and delete; needed to serve a
                          non-loopback address without --read-only or write credentials
  --scrub-interval DUR    re-hash every blob this often in the background (e.g. 24h; off by default)
  --scrub-rate MBPS       read rate of the scrub in MB/s (default 32)
  --gc-interval DUR       collect garbage this often (e.g. 6h; off by default)
  --tls-cert FILE         serve HTTPS: PEM certificate chain (leaf first); same as --registry-tls-cert
  --tls-key FILE          its PEM private key; same as --registry-tls-key
  --log-level LEVEL       trace|debug|info|warn|error|silent (default info; debug logs each request)
  --config FILE           the satellite config whose signature policy to serve by (require_signature:
                          images without a signature a trusted key verifies get 403 DENIED);
                          default: DIR/config.json when the agent saved one
  --verify                re-hash the whole store and check every reference, print a summary, exit
  --metrics               serve Prometheus metrics at GET /metrics on --addr (METRICS_ENABLED=true)
${METRICS_FLAGS_HELP}
${REGISTRY_FLAGS_HELP}`;

export interface ServeConfig {
  dataDir: string;
  host: string;
  port: number;
  readOnly: boolean;
  /** Basic credentials file for writes. */
  writeCredentialsFile?: string;
  /** Basic credentials file for reads (and the /v2/ probe). */
  readCredentialsFile?: string;
  /** HTTPS certificate and key files. */
  tls?: RegistryFlags["tls"];
  anonymousWrites: boolean;
  limits: Partial<ServerLimits>;
  uploads: UploadSessionLimits;
  scrubIntervalMs?: number;
  scrubBytesPerSecond: number;
  gcIntervalMs?: number;
  logLevel: LevelWithSilent;
  verify: boolean;
  /** Off unless --metrics or --metrics-addr. */
  metrics: MetricsFlags;
  /** --config FILE: the satellite config to take the signature policy from (default DIR/config.json). */
  configFile?: string;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${HELP}\n`);
    return ExitCode.Ok;
  }
  const config = parseServeArgs(argv);
  if (config.verify) return verify(config.dataDir);
  const logger = createLogger({ name: "satellite-registry", level: config.logLevel });
  return serve(config, logger);
}

export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        "data-dir": { type: "string" },
        addr: { type: "string", default: DEFAULT_SERVE_ADDR },
        "read-only": { type: "boolean", default: false },
        "scrub-interval": { type: "string" },
        "scrub-rate": { type: "string", default: "32" },
        "gc-interval": { type: "string" },
        "log-level": { type: "string", default: process.env.LOG_LEVEL ?? "info" },
        verify: { type: "boolean", default: false },
        config: { type: "string" },
        "anonymous-writes": { type: "boolean", default: false },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        ...REGISTRY_FLAG_OPTIONS,
        metrics: METRICS_FLAG_OPTIONS.metrics,
        "metrics-addr": METRICS_FLAG_OPTIONS["metrics-addr"],
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values["data-dir"]) throw new UsageError("serve needs --data-dir DIR");
  const { host, port } = parseAddr(values.addr);
  const rate = Number(values["scrub-rate"]);
  if (!(rate > 0))
    throw new UsageError(`--scrub-rate must be a positive number of MB/s, got '${values["scrub-rate"]}'`);
  const level = values["log-level"];
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level))
    throw new UsageError(`unknown --log-level '${level}'`);
  const registry = parseRegistryFlags(
    {
      ...values,
      "registry-tls-cert": values["tls-cert"] ?? values["registry-tls-cert"],
      "registry-tls-key": values["tls-key"] ?? values["registry-tls-key"],
    },
    env,
  );
  const readOnly = values["read-only"];
  const anonymousWrites = values["anonymous-writes"];
  const modes = [
    readOnly && "--read-only",
    registry.writeCredentialsFile !== undefined && "--registry-write-credentials-file",
    anonymousWrites && "--anonymous-writes",
  ].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`choose one of ${modes.join(", ")}`);
  if (modes.length === 0 && !values.verify && !isLoopbackHost(host)) {
    throw new UsageError(
      `--addr ${values.addr} is reachable from other machines: anyone there could push and delete. Pass --read-only, --registry-write-credentials-file FILE, or --anonymous-writes`,
    );
  }
  return {
    dataDir: values["data-dir"],
    host,
    port,
    readOnly,
    writeCredentialsFile: registry.writeCredentialsFile,
    readCredentialsFile: registry.readCredentialsFile,
    tls: registry.tls,
    anonymousWrites,
    limits: registry.limits,
    uploads: registry.uploads,
    scrubIntervalMs:
      values["scrub-interval"] === undefined ? undefined : parseDuration(values["scrub-interval"], "--scrub-interval"),
    scrubBytesPerSecond: rate * 1e6,
    gcIntervalMs:
      values["gc-interval"] === undefined ? undefined : parseDuration(values["gc-interval"], "--gc-interval"),
    logLevel: level as LevelWithSilent,
    verify: values.verify,
    metrics: parseMetricsFlags(values, env, false),
    configFile: values.config,
  };
}

async function verify(dataDir: string): Promise<number> {
  const report = await verifyStore(dataDir);
  for (const c of report.corrupt) process.stdout.write(`corrupt ${c.digest} (content hashes to ${c.actual})\n`);
  for (const m of report.missing) process.stdout.write(`missing ${m.digest} (referenced by ${m.referencedBy})\n`);
  for (const e of report.errors) process.stdout.write(`error ${e}\n`);
  process.stdout.write(
    `blobs=${report.blobs} bytes=${report.bytes} manifests=${report.manifests} corrupt=${report.corrupt.length} missing=${report.missing.length} errors=${report.errors.length} ok=${report.ok}\n`,
  );
  return report.ok ? ExitCode.Ok : ExitCode.Failure;
}

async function serve(config: ServeConfig, logger: Logger): Promise<number> {
  const writeAccess = await resolveWriteAccess(
    config.writeCredentialsFile,
    config.readOnly ? "read-only" : "anonymous",
  );
  const readCredentials = await resolveReadCredentials(config.readCredentialsFile);
  const tls = await loadRegistryTls(config.tls, { cert: "--tls-cert", key: "--tls-key" });
  const policy = await loadEdgePolicy({ configFile: config.configFile, dataDir: config.dataDir });
  const metrics = config.metrics.enabled ? startMetrics("satellite-registry", { prometheus: true }) : undefined;
  await metrics?.ready;
  const store = await openContentStore({ root: config.dataDir, logger });
  // require_signature: the agent's policy and gate, over what this store holds.
  const signatures = signaturePolicyOf(policy, store, logger.child({ component: "policy" }));
  const stopObserving = metrics ? observeStore(store) : undefined;
  const metricsListener =
    metrics && config.metrics.addr
      ? await listenMetrics(config.metrics.addr, metrics, logger).catch(async (error: unknown) => {
          await store.close();
          throw error instanceof MetricsListenError
            ? new UsageError(`${error.message}; choose another --metrics-addr`)
            : error;
        })
      : undefined;
  const registry = await startRegistryServer({
    store,
    logger,
    writeAccess,
    readCredentials,
    tls,
    limits: config.limits,
    uploads: config.uploads,
    host: config.host,
    port: config.port,
    metrics: metricsListener ? undefined : metrics,
    manifestGate: signatures.enabled
      ? (repository, reference, manifest) => signatures.checkServe(repository, reference, manifest)
      : undefined,
  }).catch(async (error: unknown) => {
    await metricsListener?.close();
    await store.close();
    throw error;
  });
  if (config.scrubIntervalMs !== undefined)
    store.startScrub({ intervalMs: config.scrubIntervalMs, bytesPerSecond: config.scrubBytesPerSecond });
  const gcTimer =
    config.gcIntervalMs === undefined
      ? undefined
      : setInterval(
          () =>
            void store
              .collectGarbage()
              .catch((error: unknown) => logger.warn({ err: error }, "garbage collection failed")),
          config.gcIntervalMs,
        );
  logger.info(
    {
      url: registry.url,
      dataDir: store.root,
      ...describeWriteAccess(writeAccess),
      readers: readCredentials?.users,
      maxConnections: registry.limits.maxConnections,
      requireSignature: signatures.enabled,
      ...(policy ? { config: policy.source } : {}),
    },
    "registry listening",
  );
  process.stdout.write(`satellite registry listening on ${registry.url}\n`);

  const signal = await waitForShutdown({
    graceMs: 9000,
    onForce: (why) => logger.warn({ why }, "stopping now, without waiting for requests in flight"),
  });
  logger.info({ signal }, "shutting down");
  if (gcTimer) clearInterval(gcTimer);
  await registry.close();
  await metricsListener?.close();
  stopObserving?.();
  await store.close();
  await metrics?.shutdown().catch(() => undefined);
  return ExitCode.Ok;
}
