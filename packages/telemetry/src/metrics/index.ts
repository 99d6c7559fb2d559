// `@harbor-satellite/telemetry/metrics`: defining instruments and serving them. Loads nothing but
// @opentelemetry/api and Node built-ins (the SDK comes with startMetrics), so any module may
// define its instruments here, `satellite sync --once` and `--help` included.
export { instrumentScope, metricsEnabled, cachedValue, DURATION_BUCKETS_S, ValueType } from "./instruments.js";
export type {
  InstrumentScope,
  HistogramHandle,
  CounterHandle,
  UpDownCounterHandle,
  ObservableGaugeHandle,
  GaugeCallback,
  Attributes,
  ObservableResult,
} from "./instruments.js";
export { startMetrics, MetricsNotServedError } from "./provider.js";
export type { Metrics, MetricsOptions } from "./provider.js";
export { serveMetrics, METRICS_PATH, PROMETHEUS_CONTENT_TYPE } from "./http.js";
export type { MetricsRequest, MetricsResponse } from "./http.js";
export { measureHttpRequest } from "./http-server.js";
export { boundHistogram } from "./bound-histogram.js";
export type { BoundHistogram, BoundHistogramFamily, BoundHistogramOptions } from "./bound-histogram.js";
export { listenMetrics, MetricsListenError } from "./listener.js";
export type { MetricsListener } from "./listener.js";
export type { HttpRequestMeasurement, MeasuredResponse } from "./http-server.js";
