// The satellite's config: shape and defaults, parsing with path-named errors, schedules, hot
// reload of config-state artifacts, and config.json at rest (sealed to the device by default).
export {
  defaultConfig,
  isRegistered,
  LOG_LEVELS,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_REGISTER_SATELLITE_INTERVAL,
  DEFAULT_STATE_REPLICATION_INTERVAL,
  DEFAULT_LOCAL_REGISTRY_URL,
} from "./satellite-config.js";
export type { SatelliteConfig, AppConfig, StateConfig, LocalRegistryConfig, LogLevel } from "./satellite-config.js";
export { parseSatelliteConfig, parseSatelliteConfigJson, RUNTIME_NAMES } from "./parse-config.js";
export { ConfigValidationError } from "./config-error.js";
export type { ConfigIssue } from "./config-error.js";
export {
  parseSchedule,
  parseDuration,
  delayUntilNext,
  formatEvery,
  InvalidScheduleError,
  MIN_EVERY_MS,
  MAX_EVERY_MS,
} from "./schedule.js";
export type { Schedule } from "./schedule.js";
export { applyConfigState, LIVE_FIELDS } from "./hot-reload.js";
export type { ConfigReload, ConfigChange, LiveField, ApplyOptions } from "./hot-reload.js";
export { loadConfigFile, saveConfigFile, discardConfigFile } from "./config-file.js";
export type { LoadedConfig, ConfigFileOptions } from "./config-file.js";
export { writeFileAtomic, removeStaleTempFiles } from "../fs/atomic-file.js";
