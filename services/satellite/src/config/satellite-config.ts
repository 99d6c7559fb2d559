// The satellite's config in the original's shape (`pkg/config/config.go`): the state config
// (robot credentials and the satellite-state URL, written by ZTR), the app config (intervals,
// registry, identity, behaviour) and the raw Zot config the original embedded. Field names are
// the original's JSON keys, so a config-state artifact pushed by either Ground Control and a
// config.json written by either satellite read the same.

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StateConfig {
  auth: { url: string; username: string; password: string };
  /** URL of this satellite's satellite-state artifact (with or without scheme). */
  state: string;
}

export interface LocalRegistryConfig {
  /** Where the satellite's registry is reached (its own by default, or a BYO registry). */
  url: string;
  username: string;
  password: string;
}

export interface AppConfig {
  ground_control_url: string;
  log_level: LogLevel;
  use_unsecure: boolean;
  state_replication_interval: string;
  register_satellite_interval: string;
  heartbeat_interval: string;
  metrics: { collect_cpu: boolean; collect_memory: boolean; collect_storage: boolean };
  bring_own_registry: boolean;
  local_registry: LocalRegistryConfig;
  tls: { cert_file: string; key_file: string; ca_file: string; skip_verify: boolean };
  spiffe: { enabled: boolean; endpoint_socket: string; expected_server_id: string };
  encrypt_config: boolean;
  registry_fallback: { enabled: boolean; registries: string[]; runtimes: string[] };
  harbor_registry_url: string;
  direct_delivery: { enabled: boolean; image_dir: string };
  /** Kept as given: the original's audit sink settings, not used by this satellite yet. */
  audit?: Record<string, unknown>;
}

export interface SatelliteConfig {
  state_config: StateConfig;
  app_config: AppConfig;
  /** The original's embedded Zot config, kept verbatim (this satellite serves its own registry). */
  zot_config?: Record<string, unknown>;
}

export const DEFAULT_STATE_REPLICATION_INTERVAL = "@every 00h00m10s";
export const DEFAULT_REGISTER_SATELLITE_INTERVAL = "@every 00h00m30s";
export const DEFAULT_HEARTBEAT_INTERVAL = "@every 00h00m30s";
export const DEFAULT_LOCAL_REGISTRY_URL = "http://127.0.0.1:8585";

/** A complete config with every default filled in and no credentials. */
export function defaultConfig(): SatelliteConfig {
  return {
    state_config: { auth: { url: "", username: "", password: "" }, state: "" },
    app_config: {
      ground_control_url: "",
      log_level: "info",
      use_unsecure: false,
      state_replication_interval: DEFAULT_STATE_REPLICATION_INTERVAL,
      register_satellite_interval: DEFAULT_REGISTER_SATELLITE_INTERVAL,
      heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
      metrics: { collect_cpu: true, collect_memory: true, collect_storage: true },
      bring_own_registry: false,
      local_registry: { url: DEFAULT_LOCAL_REGISTRY_URL, username: "", password: "" },
      tls: { cert_file: "", key_file: "", ca_file: "", skip_verify: false },
      spiffe: { enabled: false, endpoint_socket: "", expected_server_id: "" },
      encrypt_config: true,
      registry_fallback: { enabled: false, registries: ["docker.io"], runtimes: [] },
      harbor_registry_url: "",
      direct_delivery: { enabled: false, image_dir: "" },
    },
  };
}

/** True once ZTR has delivered everything state replication needs. */
export function isRegistered(config: SatelliteConfig): boolean {
  const { auth, state } = config.state_config;
  return auth.url !== "" && auth.username !== "" && auth.password !== "" && state !== "";
}
