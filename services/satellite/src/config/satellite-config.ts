// The satellite's config in the original's shape (`pkg/config/config.go`): the state config
// (robot credentials and the satellite-state URL, written by ZTR), the app config (intervals,
// registry, identity, behaviour) and the raw Zot config the original embedded. The shape, its
// defaults and its validation are the contract in @harbor-satellite/satellite-config, which
// Ground Control validates configs with too; this file adds what only the satellite needs.
import { validateSatelliteConfig, type ConfigLogLevel, type SatelliteConfig } from "@harbor-satellite/satellite-config";
import type { LevelWithSilent } from "pino";

export type { SatelliteConfig, AppConfig, StateConfig, LocalRegistryConfig } from "@harbor-satellite/satellite-config";
export {
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_LOCAL_REGISTRY_URL,
  DEFAULT_REGISTER_SATELLITE_INTERVAL,
  DEFAULT_STATE_REPLICATION_INTERVAL,
} from "@harbor-satellite/satellite-config";

export { LOG_LEVELS, type LogLevel } from "./log-levels.js";

/** The pino level for a config's log level: zerolog's `panic` is pino's `fatal`. */
export function pinoLevel(level: ConfigLogLevel): LevelWithSilent {
  return level === "panic" ? "fatal" : level;
}

/** A complete config with every default filled in and no credentials (the schema's defaults). */
export function defaultConfig(): SatelliteConfig {
  const verdict = validateSatelliteConfig({});
  if (!verdict.ok) throw new Error("the satellite config schema refuses an empty config");
  return verdict.config;
}

/** True once ZTR has delivered everything state replication needs. */
export function isRegistered(config: SatelliteConfig): boolean {
  const { auth, state } = config.state_config;
  return auth.url !== "" && auth.username !== "" && auth.password !== "" && state !== "";
}
