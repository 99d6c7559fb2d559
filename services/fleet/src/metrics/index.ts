// `@harbor-satellite/fleet/metrics`: the outbox gauges Ground Control registers where it reports
// fleet-wide figures (one process of several: see the gateway's app.ts).
export { observeOutbox, readOutboxFigures, OUTBOX_KINDS } from "./outbox-metrics.js";
export type { OutboxFigures } from "./outbox-metrics.js";
