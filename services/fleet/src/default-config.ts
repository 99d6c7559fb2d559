// The `default` config every Ground Control has: the original's built-in intervals (replicate
// and heartbeat every 30 s, register every 5 s) and its default Zot settings.
export const DEFAULT_CONFIG_NAME = "default";

export function defaultConfig(): Record<string, unknown> {
  return {
    app_config: {
      log_level: "info",
      state_replication_interval: "@every 00h00m30s",
      register_satellite_interval: "@every 00h00m05s",
      heartbeat_interval: "@every 00h00m30s",
      metrics: { collect_cpu: true, collect_memory: true, collect_storage: true },
    },
    zot_config: {
      distSpecVersion: "1.1.0",
      storage: { rootDirectory: "./zot" },
      http: { address: "0.0.0.0", port: "8585" },
      log: { level: "info" },
    },
  };
}
