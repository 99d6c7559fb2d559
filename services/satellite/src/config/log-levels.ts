// Its own module so that a command parsing `--log-level` does not load the config's schema
// validator (satellite-config.ts does).
import type { ConfigLogLevel } from "@harbor-satellite/satellite-config";

/** Levels `--log-level` takes (pino's); every one is also a valid `app_config.log_level`. */
export const LOG_LEVELS = [
  "trace",
  "debug",
  "info",
  "warn",
  "error",
  "fatal",
  "silent",
] as const satisfies readonly ConfigLogLevel[];
export type LogLevel = (typeof LOG_LEVELS)[number];
