// Why a config was refused: every problem found, each naming the JSON path it is at, so an
// operator fixing a config-state artifact sees them all at once.

export interface ConfigIssue {
  /** Dotted JSON path, e.g. `app_config.heartbeat_interval`. */
  path: string;
  message: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly issues: readonly ConfigIssue[], source = "config") {
    super(`${source} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.name = "ConfigValidationError";
  }
}
