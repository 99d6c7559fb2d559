// Where the satellite serves Prometheus metrics (GET /metrics), the same flags for the agent and
// `satellite serve`: on the registry's own port (reads there are anonymous already: the site's
// runtimes pull without credentials), or with --metrics-addr on a plaintext listener of its own.
// The agent serves them unless --no-metrics; `serve` only with --metrics or --metrics-addr, so a
// bare registry loads no metrics SDK.
import { UsageError } from "./usage-error.js";
import { parseAddr } from "./flag-values.js";

export const METRICS_FLAG_OPTIONS = {
  metrics: { type: "boolean" },
  "no-metrics": { type: "boolean" },
  "metrics-addr": { type: "string" },
} as const;

export const METRICS_FLAGS_HELP = `  --metrics-addr HOST:PORT       serve Prometheus metrics (GET /metrics) on a plaintext listener of their
                                 own instead of the registry's port (METRICS_ADDR)`;

export interface MetricsFlags {
  enabled: boolean;
  /** A listener of their own; absent: /metrics on the registry's port. */
  addr?: { host: string; port: number };
}

type Values = { metrics?: boolean; "no-metrics"?: boolean; "metrics-addr"?: string };

/** `byDefault`: the agent serves metrics unless told not to; `serve` only when asked. */
export function parseMetricsFlags(values: Values, env: NodeJS.ProcessEnv, byDefault: boolean): MetricsFlags {
  const addrFlag = values["metrics-addr"] ?? (env.METRICS_ADDR || undefined);
  if (values["no-metrics"] && (values.metrics || values["metrics-addr"] !== undefined))
    throw new UsageError("--no-metrics contradicts --metrics and --metrics-addr");
  const fromEnv = (env.METRICS_ENABLED ?? "").trim().toLowerCase();
  if (fromEnv !== "" && !["true", "false", "1", "0"].includes(fromEnv))
    throw new UsageError(`METRICS_ENABLED must be true or false, got '${env.METRICS_ENABLED}'`);
  const enabled = values["no-metrics"]
    ? false
    : values.metrics || values["metrics-addr"] !== undefined
      ? true
      : fromEnv === ""
        ? byDefault || addrFlag !== undefined
        : fromEnv === "true" || fromEnv === "1";
  if (!enabled || addrFlag === undefined) return { enabled };
  try {
    return { enabled, addr: parseAddr(addrFlag) };
  } catch {
    throw new UsageError(`--metrics-addr must be HOST:PORT, got '${addrFlag}'`);
  }
}
