// The metrics SDK and its exporters, imported only when metrics start (provider.ts loads this
// file lazily): a meter provider with a Prometheus reader, pulled by /metrics, and an OTLP reader
// that pushes periodically when OTEL_EXPORTER_OTLP_ENDPOINT (or its _METRICS_ variant) is set,
// as the standard OTEL_* variables configure it.
import { diag } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { boundHistogramProducer } from "./bound-producer.js";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricProducer,
  type MetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";

export interface SdkOptions {
  serviceName: string;
  /** Serve the Prometheus text format (a pull reader). */
  prometheus: boolean;
  env: NodeJS.ProcessEnv;
}

export interface MetricsSdk {
  provider: MeterProvider;
  /** The Prometheus text of everything recorded so far; undefined without the pull reader. */
  scrape?: () => Promise<string>;
}

export async function startSdk(options: SdkOptions): Promise<MetricsSdk> {
  const readers: MetricReader[] = [];
  // The bound histograms (bound-histogram.ts) reach every reader through this producer.
  const producer = boundHistogramProducer();
  const prometheus = options.prometheus
    ? new PrometheusExporter({ preventServerStart: true, metricProducers: [producer] })
    : undefined;
  if (prometheus) readers.push(prometheus);
  const otlp = await otlpReader(options.env, producer);
  if (otlp) readers.push(otlp);
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    readers,
  });
  if (!prometheus) return { provider };
  const serializer = new PrometheusSerializer();
  return {
    provider,
    async scrape() {
      const { resourceMetrics, errors } = await prometheus.collect();
      // A gauge whose source failed (database unreachable) is left out; the rest is still served.
      if (errors.length) diag.warn("metrics collection errors", ...errors);
      return serializer.serialize(withUnitSuffixes(resourceMetrics));
    },
  };
}

/** OTLP push, when an endpoint is configured and OTEL_METRICS_EXPORTER does not say none. */
async function otlpReader(env: NodeJS.ProcessEnv, producer: MetricProducer): Promise<MetricReader | undefined> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) return undefined;
  const wanted = (env.OTEL_METRICS_EXPORTER ?? "otlp").split(",").map((s) => s.trim());
  if (wanted.includes("none") || !wanted.includes("otlp")) return undefined;
  const protocol = (
    env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ||
    env.OTEL_EXPORTER_OTLP_PROTOCOL ||
    "http/protobuf"
  ).trim();
  let exporter: PushMetricExporter;
  if (protocol === "grpc")
    exporter = new (await import("@opentelemetry/exporter-metrics-otlp-grpc")).OTLPMetricExporter();
  else if (protocol === "http/json")
    exporter = new (await import("@opentelemetry/exporter-metrics-otlp-http")).OTLPMetricExporter();
  else exporter = new (await import("@opentelemetry/exporter-metrics-otlp-proto")).OTLPMetricExporter();
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000;
  const timeout = Math.min(interval, Number(env.OTEL_METRIC_EXPORT_TIMEOUT) || 30_000);
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: interval,
    exportTimeoutMillis: timeout,
    metricProducers: [producer],
  });
}

/** Prometheus unit suffixes for the UCUM units our instruments use (OpenTelemetry's Prometheus compatibility rules). */
const UNIT_SUFFIXES: Record<string, string> = { s: "seconds", ms: "milliseconds", By: "bytes" };

/**
 * The exporter names a metric after the instrument alone (`rpc_server_call_duration`); Prometheus
 * convention, and OpenTelemetry's compatibility spec, put the unit in the name
 * (`rpc_server_call_duration_seconds`). Annotations in braces (`{heartbeat}`) add nothing; a
 * name that already ends in its unit keeps it once. `_total` is added by the serializer after.
 */
export function withUnitSuffixes(metrics: ResourceMetrics): ResourceMetrics {
  return {
    ...metrics,
    scopeMetrics: metrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => ({
        ...metric,
        descriptor: {
          ...metric.descriptor,
          name: prometheusName(metric.descriptor.name, metric.descriptor.unit),
          unit: "",
        },
      })),
    })),
  };
}

export function prometheusName(name: string, unit: string): string {
  const suffix = UNIT_SUFFIXES[unit];
  if (!suffix) return name;
  return name.replace(/[.-]/g, "_").endsWith(`_${suffix}`) ? name : `${name}_${suffix}`;
}
