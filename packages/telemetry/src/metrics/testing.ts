// For unit tests: an in-memory meter provider registered globally (every instrument rebinds to
// it), read on demand, with helpers to find a metric's data points by name and attributes, and
// the same Prometheus text /metrics would serve. One per test file; stop() unregisters it.
import { metrics, type Attributes } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider, type DataPoint, type Histogram, type MetricData } from "@opentelemetry/sdk-metrics";
import { boundHistogramProducer } from "./bound-producer.js";
import { rebindInstruments } from "./instruments.js";
import { withUnitSuffixes } from "./sdk.js";

export interface TestMetrics {
  /** Every metric recorded so far (observable gauges are observed now). */
  collect(): Promise<MetricData[]>;
  /** The data points of one metric whose attributes include `where`; [] when none. */
  points(name: string, where?: Attributes): Promise<DataPoint<unknown>[]>;
  /** Sum of a counter's (or gauge's) matching points; 0 when none. */
  sum(name: string, where?: Attributes): Promise<number>;
  /** Total count and sum of a histogram's matching points. */
  histogram(name: string, where?: Attributes): Promise<{ count: number; sum: number }>;
  /** What /metrics would serve. */
  text(): Promise<string>;
  stop(): Promise<void>;
}

const matches = (attributes: Attributes, where: Attributes) =>
  Object.entries(where).every(([k, v]) => attributes[k] === v);

export function startTestMetrics(): TestMetrics {
  metrics.disable();
  const reader = new PrometheusExporter({ preventServerStart: true, metricProducers: [boundHistogramProducer()] });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  rebindInstruments(true);
  const read = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length) throw errors[0];
    return resourceMetrics;
  };
  const collect = async () => (await read()).scopeMetrics.flatMap((s) => s.metrics);
  const points = async (name: string, where: Attributes = {}) => {
    const metric = (await collect()).find((m) => m.descriptor.name === name);
    return ((metric?.dataPoints ?? []) as DataPoint<unknown>[]).filter((p) => matches(p.attributes, where));
  };
  return {
    collect,
    points,
    async sum(name, where) {
      return (await points(name, where)).reduce((total, p) => total + (p.value as number), 0);
    },
    async histogram(name, where) {
      const found = (await points(name, where)).map((p) => p.value as Histogram);
      return { count: found.reduce((n, h) => n + h.count, 0), sum: found.reduce((n, h) => n + (h.sum ?? 0), 0) };
    },
    async text() {
      return new PrometheusSerializer().serialize(withUnitSuffixes(await read()));
    },
    async stop() {
      metrics.disable();
      rebindInstruments(false);
      await provider.shutdown();
    },
  };
}
