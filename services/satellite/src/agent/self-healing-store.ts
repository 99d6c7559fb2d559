// The agent's self-healing store: the scheduled scrub (store-scrub.ts), what it reports in
// heartbeats (scrub-report.ts) and metrics (telemetry/scrub-metrics.ts), and a call to the agent
// when it quarantined something, so a heartbeat says so and a state pass fetches the blob again.
import { join } from "node:path";
import type { Logger } from "pino";
import type { Clock } from "../scheduler/clock.js";
import { observeScrub, recordScrubCorrupt, recordScrubRead } from "../telemetry/scrub-metrics.js";
import { createScrubReport, type ScrubReport } from "./scrub-report.js";
import { startStoreScrub, type ScrubbableStore } from "./store-scrub.js";

export const SCRUB_STATE_FILE = "scrub.json";

export interface SelfHealingOptions {
  store: ScrubbableStore & { statBlob(digest: string): Promise<unknown> };
  dataDir: string;
  intervalMs: number;
  bytesPerSecond: number;
  logger: Logger;
  clock?: Clock;
  /** Record metrics (the agent runs with Prometheus metrics on). */
  metrics: boolean;
  /** The scrub quarantined these blobs. */
  onCorrupt: (digests: string[]) => void;
}

export interface SelfHealingStore extends Pick<ScrubReport, "report" | "passCompleted"> {
  stop(): Promise<void>;
}

export function startSelfHealingStore(options: SelfHealingOptions): SelfHealingStore {
  const report = createScrubReport({
    present: async (digest) => (await options.store.statBlob(digest)) !== undefined,
    logger: options.logger,
  });
  const scrub = startStoreScrub({
    store: options.store,
    intervalMs: options.intervalMs,
    bytesPerSecond: options.bytesPerSecond,
    statePath: join(options.dataDir, SCRUB_STATE_FILE),
    logger: options.logger,
    clock: options.clock,
    onBytes: options.metrics ? recordScrubRead : undefined,
    onPass: (pass) => {
      report.note({ at: pass.at, checked: pass.checked, bytes: pass.bytes, quarantined: pass.quarantined });
      if (options.metrics) recordScrubCorrupt(pass.quarantined.length);
      if (pass.quarantined.length > 0) options.onCorrupt(pass.quarantined);
    },
  });
  const unobserve = options.metrics
    ? observeScrub({ lastCompletedAt: () => scrub.lastCompletedAt(), awaiting: () => report.awaiting() })
    : () => undefined;
  return {
    report: () => report.report(),
    passCompleted: (startedAt) => report.passCompleted(startedAt),
    async stop() {
      unobserve();
      await scrub.stop();
    },
  };
}
