// A changed config-state artifact, applied while the agent runs: merged with applyConfigState
// (our robot credentials and the operator's pinned flags stay), saved (sealed) first, then made
// live — log level, job intervals, the registry's listen address (zot_config.http, unless
// --registry-addr pinned it); metrics switches and local_registry are read where they are used.
// Fields that need a restart are logged as such. If saving fails the state pass records the
// config as not applied and offers it again on the next pass. An artifact that fails the config
// contract (@harbor-satellite/satellite-config, as Ground Control validates) changes nothing: the
// running config is kept, one warning names every problem (once per digest), and the state pass
// reports it in the heartbeat's errors.
import type { Logger } from "pino";
import { ConfigValidationError } from "../config/config-error.js";
import { applyConfigState } from "../config/hot-reload.js";
import { pinoLevel, type AppConfig, type SatelliteConfig } from "../config/satellite-config.js";
import { parseSchedule } from "../config/schedule.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { AgentOptions } from "./agent-options.js";
import { registryAddressFromZotConfig, type LocalRegistry } from "./local-registry.js";

export interface ConfigUpdate {
  current: SatelliteConfig;
  document: unknown;
  digest: string;
  pinned: readonly (keyof AppConfig)[];
  options: Pick<AgentOptions, "registryAddrPinned">;
  logger: Logger;
  registry: Pick<LocalRegistry, "moveTo">;
  scheduler: Pick<Scheduler, "get">;
  save: (config: SatelliteConfig) => Promise<void>;
}

const JOB_INTERVALS: [keyof AppConfig, string][] = [
  ["state_replication_interval", "state-replication"],
  ["heartbeat_interval", "heartbeat"],
  ["register_satellite_interval", "registration"],
  ["store_gc_interval", "store-gc"],
];

/** Returns the config to run with from now on. Throws (and changes nothing) when the artifact is invalid or cannot be saved. */
export async function applyArtifactConfig(update: ConfigUpdate): Promise<SatelliteConfig> {
  const { logger } = update;
  const reload = applyConfigState(update.current, update.document, { pinned: update.pinned });
  const { config } = reload;
  if (reload.changes.length === 0) {
    logger.debug({ digest: update.digest }, "config artifact changed nothing");
    return config;
  }
  await update.save(config);
  logger.info(
    { digest: update.digest, changes: reload.changes, live: reload.live, restartRequired: reload.restartRequired },
    "config updated",
  );
  if (reload.restartRequired.length > 0)
    logger.warn({ fields: reload.restartRequired }, "config fields that take effect after a restart");

  if (reload.live.includes("log_level")) logger.level = pinoLevel(config.app_config.log_level);
  for (const [field, jobName] of JOB_INTERVALS) {
    if (!reload.live.includes(field as never)) continue;
    const job = update.scheduler.get(jobName);
    if (job && !job.status().finished) job.setSchedule(parseSchedule(config.app_config[field] as string));
  }
  const address = registryAddressFromZotConfig(config.zot_config);
  const zotChanged = reload.changes.some((c) => c.path === "zot_config");
  if (address && zotChanged) {
    if (update.options.registryAddrPinned) {
      logger.info({ wanted: address }, "zot_config.http ignored: --registry-addr pins the registry address");
    } else {
      try {
        await update.registry.moveTo(address.host, address.port);
      } catch (error) {
        logger.warn(
          { wanted: address, err: { message: (error as Error).message } },
          "local registry could not move; it keeps serving where it is (restart to move it)",
        );
      }
    }
  }
  return config;
}

/** applyArtifactConfig for a running agent: a refused artifact is logged once per digest, then thrown. */
export function createConfigApplier(): (update: ConfigUpdate) => Promise<SatelliteConfig> {
  let refused: string | undefined;
  return async (update) => {
    try {
      const config = await applyArtifactConfig(update);
      refused = undefined;
      return config;
    } catch (error) {
      if (error instanceof ConfigValidationError) {
        const fields = { digest: update.digest, issues: error.issues };
        if (refused === update.digest) update.logger.debug(fields, "config-state artifact still refused");
        else update.logger.warn(fields, `${error.message} (nothing of it applied; the running config is kept)`);
        refused = update.digest;
      }
      throw error;
    }
  };
}
