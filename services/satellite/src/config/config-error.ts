// Why a config was refused: every problem found, each naming the JSON path it is at, so an
// operator fixing a config-state artifact sees them all at once.
import { formatConfigIssues, type ConfigIssue } from "@harbor-satellite/satellite-config";

export type { ConfigIssue };

export class ConfigValidationError extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    source = "config",
  ) {
    super(`${source} is invalid: ${formatConfigIssues(issues)}`);
    this.name = "ConfigValidationError";
  }
}
