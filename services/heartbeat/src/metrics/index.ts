// `@harbor-satellite/heartbeat/metrics`: the gauges Ground Control registers where it reports
// fleet-wide figures (one process of several: see the gateway's app.ts).
export { observeFleetHealth, countByHealth, HEALTH_CLASSES, OFFLINE_AFTER_MS } from "./fleet-health.js";
export type { FleetGaugeOptions, HealthClass } from "./fleet-health.js";
export { observeFleetDrift, countByDrift, DRIFT_CLASSES } from "./fleet-drift.js";
export type { DriftClass } from "./fleet-drift.js";
