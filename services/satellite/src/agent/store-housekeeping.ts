// The agent's store housekeeping: the store-gc job (garbage collection on
// app_config.store_gc_interval, and at once after a pass untagged or evicted images; the job
// runs one collection at a time) and the retention of dropped images under
// app_config.store_quota, with its gauges. GC is safe beside pulls and a pass: it holds the
// store's lock exclusively while writes hold it shared, and spares blobs and manifests a push or
// a pass committed but has not referenced yet (store/gc.ts); an open download keeps its file.
import type { Logger } from "pino";
import { parseByteSize } from "@harbor-satellite/satellite-config";
import { parseSchedule } from "../config/schedule.js";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import { createRetention, type Retention, type RetentionOptions } from "../state/retention.js";
import type { ContentStore } from "../store/content-store.js";
import type { PullLog } from "../store/pull-log.js";
import { observeQuota } from "../telemetry/store-metrics.js";

export const STORE_GC_JOB = "store-gc";

export interface HousekeepingOptions {
  store: RetentionOptions["store"] & Pick<ContentStore, "collectGarbage">;
  scheduler: Pick<Scheduler, "add" | "get">;
  config: () => SatelliteConfig;
  pulls: PullLog;
  logger: Logger;
  /** Report the quota gauges (the agent runs with Prometheus metrics). */
  metrics: boolean;
}

export interface StoreHousekeeping {
  retention: Retention;
  /** Runs the GC job now (after a pass removed images). */
  collectGarbage(): void;
  close(): void;
}

/**
 * The configured quota in bytes (the schema validated it); undefined when there is none, or when
 * images go to a bring-your-own registry, whose disk is not the satellite's to manage.
 */
export function quotaBytesOf(config: SatelliteConfig): number | undefined {
  const text = config.app_config.store_quota;
  return text === "" || config.app_config.bring_own_registry ? undefined : parseByteSize(text);
}

export function startStoreHousekeeping(options: HousekeepingOptions): StoreHousekeeping {
  const { store, logger } = options;
  let usedBytes: number | undefined;
  const retention = createRetention({
    store,
    quotaBytes: () => quotaBytesOf(options.config()),
    pulls: options.pulls,
    logger,
    onMeasured: (used) => (usedBytes = used),
    // Room made before a fetch is freed before the fetch, not at the next collection.
    collect: () => store.collectGarbage(),
  });
  const job = options.scheduler.add({
    name: STORE_GC_JOB,
    schedule: parseSchedule(options.config().app_config.store_gc_interval),
    // A request during a collection runs another after it: that one may not see the new untags.
    overlap: "queue",
    run: async () => {
      const result = await store.collectGarbage();
      logger.debug(result, "store garbage collection done");
    },
  });
  const unobserve = options.metrics
    ? observeQuota({ quotaBytes: () => quotaBytesOf(options.config()), usedBytes: () => usedBytes })
    : () => undefined;
  return {
    retention,
    collectGarbage: () => job.trigger(),
    close: unobserve,
  };
}
