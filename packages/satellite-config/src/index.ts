// @harbor-satellite/satellite-config: the satellite config contract. One JSON schema (the
// original's keys, closed, with the satellite's defaults), the types derived from it, the
// validation Ground Control and the satellite both run, and the schedules its `schedule` format is.
export {
  SATELLITE_CONFIG_SCHEMA,
  CONFIG_LOG_LEVELS,
  RUNTIME_NAMES,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_LOCAL_REGISTRY_URL,
  DEFAULT_REGISTER_SATELLITE_INTERVAL,
  DEFAULT_STATE_REPLICATION_INTERVAL,
  DEFAULT_STORE_GC_INTERVAL,
  WEEK_DAYS,
  MAX_WINDOW_MS,
} from "./schema.js";
export { validateSatelliteConfig, formatConfigIssues, isHttpUrl, isRegistryAddress, isTimeZone } from "./validate.js";
export type {
  SatelliteConfig,
  SatelliteConfigDocument,
  StateConfig,
  AppConfig,
  LocalRegistryConfig,
  AuditConfig,
  SyncPolicyConfig,
  SyncWindowConfig,
  ConfigLogLevel,
  ConfigIssue,
  ConfigVerdict,
  DocumentOf,
  ValueOf,
} from "./types.js";
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
export { parseByteSize, formatByteSize, InvalidByteSizeError } from "./byte-size.js";
export { readTrustedKey, trustedKeyMessage, TRUSTED_KEY_EXPECTED, type TrustedKeyReading } from "./trusted-key.js";
