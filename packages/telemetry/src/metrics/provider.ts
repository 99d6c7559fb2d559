// Starts metrics once per process, like tracing (tracing.ts): a meter provider registered with the
// OpenTelemetry API, read by Prometheus through `scrape()` and, when OTEL_EXPORTER_OTLP_ENDPOINT is
// set, pushed over OTLP. The SDK and the exporters load only here, so `--help` and processes that
// serve no metrics never pay for them; instruments defined before then are rebound when it is up.
import { metrics } from "@opentelemetry/api";
import { rebindInstruments } from "./instruments.js";

export interface MetricsOptions {
  /** Serve the Prometheus text format (`scrape`). Without it, only OTLP (when configured) reads. */
  prometheus: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface Metrics {
  /** Settles once instruments record; rejects when the SDK failed to load. */
  readonly ready: Promise<void>;
  /** Whether `scrape` serves anything (Prometheus asked for, and not disabled). */
  readonly serving: boolean;
  /** Everything recorded so far in the Prometheus text format (0.0.4). */
  scrape(): Promise<string>;
  /** Flushes OTLP, unregisters the provider; instruments become no-ops again. */
  shutdown(): Promise<void>;
}

export class MetricsNotServedError extends Error {
  constructor() {
    super("metrics are not served by this process");
    this.name = "MetricsNotServedError";
  }
}

const disabled: Metrics = {
  ready: Promise.resolve(),
  serving: false,
  scrape: () => Promise.reject(new MetricsNotServedError()),
  shutdown: async () => {},
};

let started: Metrics | undefined;

/** Starts metrics once per process; later calls return the same handle. Await `ready` before serving. */
export function startMetrics(serviceName: string, options: MetricsOptions): Metrics {
  if (started) return started;
  const env = options.env ?? process.env;
  const otlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  // The standard switch turns every signal off; with nothing to read the measurements, none are taken.
  if (env.OTEL_SDK_DISABLED === "true" || (!options.prometheus && !otlp)) return disabled;
  const sdk = import("./sdk.js").then(async ({ startSdk }) => {
    const loaded = await startSdk({ serviceName, prometheus: options.prometheus, env });
    metrics.setGlobalMeterProvider(loaded.provider);
    rebindInstruments(true);
    return loaded;
  });
  const handle: Metrics = {
    ready: sdk.then(() => undefined),
    serving: options.prometheus,
    async scrape() {
      const { scrape } = await sdk;
      if (!scrape) throw new MetricsNotServedError();
      return scrape();
    },
    async shutdown() {
      const { provider } = await sdk;
      metrics.disable();
      rebindInstruments(false);
      await provider.shutdown();
      if (started === handle) started = undefined;
    },
  };
  started = handle;
  return handle;
}
