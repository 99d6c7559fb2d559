// Parses a satellite config (config.json, a config-state artifact, or one built from flags) with
// the contract Ground Control validates with (@harbor-satellite/satellite-config): the same
// verdict on every document, defaults filled in, every problem reported with its path. A config
// is taken whole or not at all.
import { validateSatelliteConfig } from "@harbor-satellite/satellite-config";
import { ConfigValidationError } from "./config-error.js";
import type { SatelliteConfig } from "./satellite-config.js";

export { RUNTIME_NAMES } from "@harbor-satellite/satellite-config";

/**
 * Parses a whole config. `source` names it in the error (a file path, "config-state artifact").
 * Throws ConfigValidationError listing every problem.
 */
export function parseSatelliteConfig(raw: unknown, source = "config"): SatelliteConfig {
  const verdict = validateSatelliteConfig(raw);
  if (!verdict.ok) throw new ConfigValidationError(verdict.issues, source);
  const { config } = verdict;
  // Normalised, not judged: `https://gc/` and `https://gc` are the same base URL.
  config.app_config.ground_control_url = config.app_config.ground_control_url.replace(/\/+$/, "");
  config.app_config.local_registry.url = config.app_config.local_registry.url.replace(/\/+$/, "");
  return config;
}

/** Parses config JSON text; a syntax error is reported like any other issue. */
export function parseSatelliteConfigJson(text: string, source = "config"): SatelliteConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigValidationError([{ path: "(root)", message: `not JSON: ${(error as Error).message}` }], source);
  }
  return parseSatelliteConfig(raw, source);
}
