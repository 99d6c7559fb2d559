// Hands the bound histograms (bound-histogram.ts) to the SDK's readers at every collection, as
// cumulative histogram data grouped by instrumentation scope.
import { ValueType } from "@opentelemetry/api";
import {
  AggregationTemporality,
  DataPointType,
  type HistogramMetricData,
  type MetricProducer,
  type ScopeMetrics,
} from "@opentelemetry/sdk-metrics";
import { emptyResource } from "@opentelemetry/resources";
import { boundHistogramFamilies } from "./bound-histogram.js";

/** [seconds, nanoseconds], as OpenTelemetry keeps times. */
function hrTime(ms: number): [number, number] {
  const seconds = Math.trunc(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export function boundHistogramProducer(): MetricProducer {
  return {
    async collect() {
      const endTime = hrTime(Date.now());
      const scopes = new Map<string, HistogramMetricData[]>();
      for (const family of boundHistogramFamilies()) {
        const series = family.series();
        if (series.length === 0) continue;
        const data: HistogramMetricData = {
          descriptor: {
            name: family.name,
            description: family.options.description,
            unit: family.options.unit,
            valueType: ValueType.DOUBLE,
          },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: series.map((s) => ({
            attributes: s.attributes,
            startTime: hrTime(s.startTime),
            endTime,
            value: {
              buckets: { boundaries: [...family.options.boundaries], counts: Array.from(s.counts) },
              count: s.count,
              sum: s.sum,
              min: s.min,
              max: s.max,
            },
          })),
        };
        const list = scopes.get(family.scope);
        if (list) list.push(data);
        else scopes.set(family.scope, [data]);
      }
      const scopeMetrics: ScopeMetrics[] = [...scopes].map(([name, metrics]) => ({ scope: { name }, metrics }));
      // The reader keeps the SDK's resource; this one is not used.
      return { resourceMetrics: { resource: emptyResource(), scopeMetrics }, errors: [] };
    },
  };
}
