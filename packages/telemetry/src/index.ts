// Public surface of @harbor-satellite/telemetry.
export { createLogger } from "./logger.js";
export type { Logger, LoggerOptions } from "./logger.js";
export { startTelemetry, withSpan, extractTraceContext, injectTraceContext } from "./tracing.js";
export type { Telemetry } from "./tracing.js";
export { serverTracingInterceptor, clientTracingInterceptor } from "./interceptors.js";
export { serverMetricsInterceptor } from "./metrics/rpc-server.js";
export { startMetrics, serveMetrics, METRICS_PATH } from "./metrics/index.js";
export type { Metrics } from "./metrics/index.js";
export { connectCodeName } from "./rpc-conventions.js";
