// The device figures a heartbeat reports (SyncRequest cpu_percent, memory_used_bytes,
// storage_used_bytes), honouring app_config.metrics switches: a figure switched off is 0.
// Storage comes from the content store's own accounting when the agent passes it, else from
// walking the data dir.
import { createCpuSampler, type CpuSampler } from "./cpu-sampler.js";
import { directoryUsage } from "./disk-usage.js";
import { memoryUsedBytes } from "./memory.js";

export interface MetricsSwitches {
  collect_cpu: boolean;
  collect_memory: boolean;
  collect_storage: boolean;
}

export interface DeviceMetrics {
  cpuPercent: number;
  memoryUsedBytes: bigint;
  storageUsedBytes: bigint;
}

export interface MetricsCollectorOptions {
  dataDir: string;
  /** Read on every collect, so a hot-reloaded config applies at the next heartbeat. */
  switches?: () => MetricsSwitches;
  cpu?: CpuSampler;
  memory?: () => number;
  /** e.g. `async () => (await store.usage()).bytes` */
  storage?: () => Promise<number>;
}

export interface MetricsCollector {
  collect(): Promise<DeviceMetrics>;
}

const ALL_ON: MetricsSwitches = { collect_cpu: true, collect_memory: true, collect_storage: true };

export function createMetricsCollector(options: MetricsCollectorOptions): MetricsCollector {
  const cpu = options.cpu ?? createCpuSampler();
  const memory = options.memory ?? (() => memoryUsedBytes());
  const storage = options.storage ?? (() => directoryUsage(options.dataDir));
  return {
    async collect() {
      const on = options.switches?.() ?? ALL_ON;
      // Sample CPU even when it is not reported, so switching it on later measures one interval.
      const cpuPercent = cpu.sample();
      return {
        cpuPercent: on.collect_cpu ? Math.round(cpuPercent * 100) / 100 : 0,
        memoryUsedBytes: on.collect_memory ? BigInt(Math.round(memory())) : 0n,
        storageUsedBytes: on.collect_storage ? BigInt(Math.round(await storage())) : 0n,
      };
    },
  };
}
