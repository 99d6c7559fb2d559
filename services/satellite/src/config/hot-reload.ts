// Applying a config-state artifact while the satellite runs. The artifact carries a whole
// satellite config; its `app_config` (and `zot_config`) replace ours, while our `state_config`
// (robot credentials from ZTR) and the fields the operator pinned with CLI flags stay. The result
// says which changed fields the agent applies live (intervals, log level, local registry,
// metrics) and which take effect only after a restart, so nothing changes silently.
import { isDeepStrictEqual } from "node:util";
import { parseSatelliteConfig } from "./parse-config.js";
import type { AppConfig, SatelliteConfig } from "./satellite-config.js";

/** Fields the running agent re-reads without a restart. */
export const LIVE_FIELDS = [
  "log_level",
  "state_replication_interval",
  "register_satellite_interval",
  "heartbeat_interval",
  "local_registry",
  "metrics",
  "sync_policy",
  "store_quota",
  "store_gc_interval",
] as const;
export type LiveField = (typeof LIVE_FIELDS)[number];

export interface ConfigChange {
  /** Dotted path, e.g. `app_config.heartbeat_interval`. */
  path: string;
  from: unknown;
  to: unknown;
}

export interface ConfigReload {
  /** The config to run with and persist. */
  config: SatelliteConfig;
  /** Every changed field (secrets shown as "[redacted]"). Empty when nothing changed. */
  changes: ConfigChange[];
  /** Changed fields the agent applies now. */
  live: LiveField[];
  /** Changed fields that take effect on the next start (TLS, SPIFFE, encryption…). */
  restartRequired: string[];
}

export interface ApplyOptions {
  /** app_config fields set on the command line: the artifact never overrides them. */
  pinned?: readonly (keyof AppConfig)[];
}

const SECRET_KEYS = new Set(["password", "secret", "token"]);

function redact(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(redact);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k) && v !== "" ? "[redacted]" : redact(v)]),
  );
}

/**
 * Merges a config-state artifact's JSON into the running config. Throws ConfigValidationError
 * (naming paths) when the artifact is invalid; the caller then keeps running with `current`.
 */
export function applyConfigState(
  current: SatelliteConfig,
  configState: unknown,
  options: ApplyOptions = {},
): ConfigReload {
  const incoming = parseSatelliteConfig(configState, "config-state artifact");
  const app: AppConfig = { ...incoming.app_config };
  const target = app as unknown as Record<string, unknown>;
  for (const key of options.pinned ?? []) target[key] = current.app_config[key];
  const config: SatelliteConfig = { state_config: current.state_config, app_config: app };
  if (incoming.zot_config !== undefined) config.zot_config = incoming.zot_config;

  const changes: ConfigChange[] = [];
  const live: LiveField[] = [];
  const restartRequired: string[] = [];
  const keys = new Set([...Object.keys(current.app_config), ...Object.keys(app)]) as Set<keyof AppConfig>;
  for (const key of keys) {
    const from = current.app_config[key];
    const to = app[key];
    if (isDeepStrictEqual(from, to)) continue;
    changes.push({ path: `app_config.${key}`, from: redact(from), to: redact(to) });
    if ((LIVE_FIELDS as readonly string[]).includes(key)) live.push(key as LiveField);
    else restartRequired.push(`app_config.${key}`);
  }
  if (!isDeepStrictEqual(current.zot_config, config.zot_config)) {
    // Recorded and persisted only: this satellite serves its own registry, not Zot.
    changes.push({ path: "zot_config", from: redact(current.zot_config), to: redact(config.zot_config) });
  }
  return { config, changes, live, restartRequired };
}
