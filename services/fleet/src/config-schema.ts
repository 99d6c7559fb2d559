// Configs are checked with the satellite config contract (@harbor-satellite/satellite-config):
// the schema the satellite parses config-state artifacts with, so Ground Control refuses exactly
// what a satellite would refuse, and names every problem with its path in one InvalidArgument.
// The document is stored as sent (defaults are the satellite's to fill in), so a merge patch
// applies to what the operator wrote.
import { formatConfigIssues, validateSatelliteConfig } from "@harbor-satellite/satellite-config";
import { InvalidArgumentError } from "@harbor-satellite/rpc";

export { SATELLITE_CONFIG_SCHEMA } from "@harbor-satellite/satellite-config";

/** Returns `config` unchanged; throws InvalidArgumentError (prefixed with `field`) when it is not a valid satellite config. */
export function requireSatelliteConfig(field: string, config: unknown): Record<string, unknown> {
  const verdict = validateSatelliteConfig(config);
  if (!verdict.ok) throw new InvalidArgumentError(`${field}: ${formatConfigIssues(verdict.issues)}`);
  return config as Record<string, unknown>;
}
