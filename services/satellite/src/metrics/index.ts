// Device figures for the heartbeat's SyncRequest.
export { createMetricsCollector } from "./metrics-collector.js";
export type { MetricsCollector, MetricsCollectorOptions, DeviceMetrics, MetricsSwitches } from "./metrics-collector.js";
export { createCpuSampler, readCpuTimes } from "./cpu-sampler.js";
export type { CpuSampler, CpuTimes } from "./cpu-sampler.js";
export { memoryUsedBytes } from "./memory.js";
export { directoryUsage } from "./disk-usage.js";
